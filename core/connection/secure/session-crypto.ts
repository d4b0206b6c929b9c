/**
 * The primitives core's secure session (Noise XX, see noise.ts) runs on: X25519 and
 * ChaCha20-Poly1305 (RFC 8439). Hashing (SHA-256, HKDF) is always @noble/hashes: a handshake
 * hashes a few hundred bytes. The default is pure JavaScript (@noble/curves, @noble/ciphers,
 * audited, no native code), so core runs in any runtime; a host may pass a faster suite of the
 * same meaning (the service passes node:crypto's, host/service/session-crypto.ts). Both ends
 * need not use the same suite: the bytes on the wire are the same.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';

export interface KeyPair {
  /** Raw X25519 public key (32 bytes). */
  readonly publicKey: Uint8Array;
  /** Raw X25519 secret key (32 bytes). */
  readonly secretKey: Uint8Array;
}

export interface SessionCrypto {
  generateKeyPair(): KeyPair;
  /** X25519 of our secret key and the remote's public key. Throws for a public key that gives
   * the all-zero result (a low-order point: the remote contributes nothing). */
  dh(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 encryption: the ciphertext, then the 16-byte tag. */
  seal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 decryption; undefined when the tag does not authenticate. */
  open(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined;
}

export const TAG_BYTES = 16;

export const nobleSessionCrypto: SessionCrypto = {
  generateKeyPair() {
    const secretKey = x25519.utils.randomSecretKey();
    return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
  },
  dh(secretKey, publicKey) {
    // noble refuses a low-order public key (all-zero shared secret) by throwing.
    return x25519.getSharedSecret(secretKey, publicKey);
  },
  seal: (key, nonce, ad, plaintext) => chacha20poly1305(key, nonce, ad).encrypt(plaintext),
  open(key, nonce, ad, sealed) {
    if (sealed.byteLength < TAG_BYTES) return undefined;
    try {
      return chacha20poly1305(key, nonce, ad).decrypt(sealed);
    } catch {
      return undefined;
    }
  },
};
