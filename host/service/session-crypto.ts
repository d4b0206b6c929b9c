/**
 * core's secure session (core/connection/secure) on node:crypto: the same X25519 and
 * ChaCha20-Poly1305, native, for the service. The pure-JavaScript default seals a few tens of
 * megabytes a second; this one, what a TCP socket carries. Either end may use either: the bytes
 * are the same (secure-session tests run one against the other).
 */
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { TAG_BYTES, type SessionCrypto } from '../../core/connection/secure/session-crypto';

/** DER prefix of an X25519 secret key in PKCS#8, for a secret key this suite did not make. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** Our secret keys as node:crypto holds them, so a handshake's DH imports only the remote's
 * key (as JWK: importing DER costs several times more). */
const secretKeys = new WeakMap<Uint8Array, KeyObject>();

function secretKeyObject(secretKey: Uint8Array): KeyObject {
  return secretKeys.get(secretKey) ?? createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
}

export const nodeSessionCrypto: SessionCrypto = {
  generateKeyPair() {
    const { privateKey } = generateKeyPairSync('x25519');
    const jwk = privateKey.export({ format: 'jwk' });
    const pair = { publicKey: new Uint8Array(Buffer.from(jwk.x!, 'base64url')), secretKey: new Uint8Array(Buffer.from(jwk.d!, 'base64url')) };
    secretKeys.set(pair.secretKey, privateKey);
    return pair;
  },
  dh(secretKey, publicKey) {
    const remote = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
    // OpenSSL refuses a low-order point (an all-zero result) by throwing, as the contract asks.
    return new Uint8Array(diffieHellman({ privateKey: secretKeyObject(secretKey), publicKey: remote }));
  },
  seal(key, nonce, ad, plaintext) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
    if (ad.byteLength > 0) cipher.setAAD(ad, { plaintextLength: plaintext.byteLength });
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    // Buffer.concat allocates without zero-filling: a third of the cost of sealing a 64 KiB frame.
    return Buffer.concat([head, tail, cipher.getAuthTag()], plaintext.byteLength + TAG_BYTES);
  },
  open(key, nonce, ad, sealed) {
    if (sealed.byteLength < TAG_BYTES) return undefined;
    const body = sealed.subarray(0, sealed.byteLength - TAG_BYTES);
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
    if (ad.byteLength > 0) decipher.setAAD(ad, { plaintextLength: body.byteLength });
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
