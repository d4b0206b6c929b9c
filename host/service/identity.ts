/**
 * This peer's identity on disk: an Ed25519 key pair, and the peer id that is its hash (see
 * core/connection/proof.ts). Made with node:crypto so the service can start synchronously; the
 * stored form (raw public key, PKCS#8 private key, base64url) is the one core's WebCrypto
 * `loadIdentity` reads too.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { PeerIdentity, ProofSuite } from '../../core/connection/proof';
import { DisplayName, PeerId } from '../../core/contracts/peer';
import { base32, fromBase64Url } from '../../core/util/ids';

export const StoredIdentity = z.object({
  id: PeerId,
  name: DisplayName,
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  privateKey: z.string().regex(/^[A-Za-z0-9_-]+$/),
});
export type StoredIdentity = z.infer<typeof StoredIdentity>;

export function newIdentity(name: string): StoredIdentity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'jwk' }).x!;
  return {
    id: peerIdOf(raw),
    name,
    publicKey: raw,
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url'),
  };
}

/** The peer id a (base64url raw) public key stands for: as `peerIdFromKey` in core. */
export function peerIdOf(publicKey: string): string {
  return idOfKey(fromBase64Url(publicKey) ?? new Uint8Array());
}

function idOfKey(publicKey: Uint8Array): string {
  return base32(createHash('sha256').update(publicKey).digest().subarray(0, 16));
}

const publicKeys = new Map<string, KeyObject>();
const PUBLIC_KEYS_KEPT = 256;

/** core's proof checks with node:crypto, on libuv's thread pool (the callback forms): the
 * handshake's crypto then runs beside the WebRTC work on the main thread instead of in its way.
 * Same results as WebCrypto, without its key import per call. */
export const nodeProofSuite: ProofSuite = {
  idOf: idOfKey,
  verify(publicKey, data, signature) {
    const key = publicKeyObject(publicKey);
    return new Promise((resolve, reject) => verify(null, data, key, signature, (error, valid) => (error ? reject(error) : resolve(valid))));
  },
};

/** Imported keys, so reconnects skip the import. */
function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const x = Buffer.from(publicKey).toString('base64url');
  let key = publicKeys.get(x);
  if (!key) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    if (publicKeys.size >= PUBLIC_KEYS_KEPT) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(x, key);
  }
  return key;
}

export function signerOf(stored: StoredIdentity): PeerIdentity {
  const key = createPrivateKey({ key: Buffer.from(stored.privateKey, 'base64url'), format: 'der', type: 'pkcs8' });
  const publicKey = fromBase64Url(stored.publicKey)!;
  return {
    publicKey,
    sign: (data) => new Promise((resolve, reject) => sign(null, data, key, (error, signature) => (error ? reject(error) : resolve(new Uint8Array(signature))))),
  };
}
