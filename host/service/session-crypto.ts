/**
 * core's secure session (core/connection/secure) on node:crypto: the same X25519 and
 * ChaCha20-Poly1305, native, for the service. The pure-JavaScript default seals a few tens of
 * megabytes a second; this one, what a TCP socket carries. Either end may use either: the bytes
 * are the same (secure-session tests run one against the other).
 */
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { TAG_BYTES, type SessionCrypto } from '../../core/connection/secure/session-crypto';

/** DER prefixes of X25519 keys: PKCS#8 before a raw secret key, SPKI before a raw public key. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export const nodeSessionCrypto: SessionCrypto = {
  generateKeyPair() {
    const { publicKey, privateKey } = generateKeyPairSync('x25519');
    return {
      publicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length)),
      secretKey: new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length)),
    };
  },
  dh(secretKey, publicKey) {
    const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
    const remote = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    // OpenSSL refuses a low-order point (an all-zero result) by throwing, as the contract asks.
    return new Uint8Array(diffieHellman({ privateKey, publicKey: remote }));
  },
  seal(key, nonce, ad, plaintext) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(ad, { plaintextLength: plaintext.byteLength });
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    const out = new Uint8Array(plaintext.byteLength + TAG_BYTES);
    out.set(head);
    out.set(tail, head.byteLength);
    out.set(cipher.getAuthTag(), head.byteLength + tail.byteLength);
    return out;
  },
  open(key, nonce, ad, sealed) {
    if (sealed.byteLength < TAG_BYTES) return undefined;
    const body = sealed.subarray(0, sealed.byteLength - TAG_BYTES);
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(ad, { plaintextLength: body.byteLength });
    decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES));
    const head = decipher.update(body);
    try {
      const tail = decipher.final();
      return tail.byteLength === 0 ? new Uint8Array(head.buffer, head.byteOffset, head.byteLength) : new Uint8Array(Buffer.concat([head, tail]));
    } catch {
      return undefined;
    }
  },
};
