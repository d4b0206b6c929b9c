/**
 * Proof of identity in the handshake. A peer id is the hash of an Ed25519 public key, so a peer
 * cannot claim another's id without its private key:
 *
 *   hello  { ..., auth: { nonce, key? } }   nonce: 16 random bytes per connection; key: 32 bytes
 *   proof  signature by the sender's key over
 *          "whatnext/proof/v1" | the receiver's nonce | sender id | receiver id
 *
 * A side with an identity answers the remote's nonce with a proof; a side that requires proof
 * opens only after verifying the remote's. Runtime-neutral: WebCrypto only.
 */
import { z } from 'zod';
import { ProtocolError } from '../errors';
import { base32, fromBase64Url, toBase64Url } from '../util/ids';

/** What a peer proves itself with. The service keeps the private half. */
export interface PeerIdentity {
  /** Raw Ed25519 public key (32 bytes). The peer id is `peerIdFromKey(publicKey)`. */
  readonly publicKey: Uint8Array;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export const HelloAuth = z.object({
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'a nonce is 16 bytes of base64url'),
  key: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a key is 32 bytes of base64url').optional(),
});
export type HelloAuth = z.infer<typeof HelloAuth>;

const CONTEXT = new TextEncoder().encode('whatnext/proof/v1');
const encoder = new TextEncoder();

/** The peer id a key stands for: the first 16 bytes of its SHA-256, in base32. */
export async function peerIdFromKey(publicKey: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', publicKey as Uint8Array<ArrayBuffer>));
  return base32(digest.subarray(0, 16));
}

function transcript(verifierNonce: Uint8Array, proverId: string, verifierId: string): Uint8Array<ArrayBuffer> {
  const parts = [CONTEXT, verifierNonce, encoder.encode(proverId), encoder.encode(verifierId)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** The crypto a handshake verifies with. WebCrypto by default (any runtime); a host may pass a
 * faster one of the same meaning (the service passes node:crypto's synchronous calls). */
export interface ProofSuite {
  /** `peerIdFromKey`. */
  idOf(publicKey: Uint8Array): string | Promise<string>;
  /** Ed25519 verification of `signature` over `data` by the raw `publicKey`. */
  verify(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>;
}

/** Imported keys, so reconnects skip the import. */
const importedKeys = new Map<string, Promise<CryptoKey>>();
const IMPORTED_KEYS_KEPT = 256;

export const webCryptoSuite: ProofSuite = {
  idOf: peerIdFromKey,
  async verify(publicKey, data, signature) {
    const cacheKey = toBase64Url(publicKey);
    let key = importedKeys.get(cacheKey);
    if (!key) {
      key = crypto.subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
      key.catch(() => importedKeys.delete(cacheKey));
      if (importedKeys.size >= IMPORTED_KEYS_KEPT) importedKeys.delete(importedKeys.keys().next().value!);
      importedKeys.set(cacheKey, key);
    }
    return crypto.subtle.verify({ name: 'Ed25519' }, await key, signature as Uint8Array<ArrayBuffer>, data as Uint8Array<ArrayBuffer>);
  },
};

/** Why the handshake refuses a remote. */
export class ProofRefused extends Error {}

/** One connection's side of the proof exchange. */
export class Authenticator {
  readonly #nonce = crypto.getRandomValues(new Uint8Array(16));
  #remote: { id: string; key: Uint8Array } | undefined;
  #remoteVerified = false;

  constructor(
    private readonly localId: string,
    private readonly identity: PeerIdentity | undefined,
    private readonly required: boolean,
    private readonly suite: ProofSuite = webCryptoSuite,
  ) {}

  /** What our hello carries. */
  helloAuth(): HelloAuth {
    return { nonce: toBase64Url(this.#nonce), ...(this.identity ? { key: toBase64Url(this.identity.publicKey) } : {}) };
  }

  /** True once the remote is proven (or proof is neither required nor offered). */
  get remoteVerified(): boolean {
    return this.#remoteVerified;
  }

  /** The remote's hello arrived: check its key against its id; returns our proof to send, if
   * we have an identity and the remote gave us a nonce to sign. */
  async onHello(remoteId: string, auth: HelloAuth | undefined): Promise<Uint8Array | undefined> {
    const remoteNonce = auth ? fromBase64Url(auth.nonce) : undefined;
    // Sign while the remote's key is checked: the proof goes out one crypto step sooner.
    const signing = this.identity && remoteNonce ? this.identity.sign(transcript(remoteNonce, this.localId, remoteId)) : undefined;
    signing?.catch(() => undefined); // awaited below unless the key check refuses first
    if (auth?.key) {
      const key = fromBase64Url(auth.key);
      if (!key || key.byteLength !== 32) throw new ProofRefused('the remote sent a malformed key');
      if ((await this.suite.idOf(key)) !== remoteId) throw new ProofRefused(`the remote's key does not belong to peer id ${remoteId}`);
      this.#remote = { id: remoteId, key };
    } else if (this.required) {
      throw new ProofRefused(`the remote (${remoteId}) did not prove its identity`);
    } else {
      this.#remoteVerified = true; // an unauthenticated remote, accepted because proof is optional here
    }
    return signing;
  }

  /** The remote's proof arrived. */
  async onProof(signature: Uint8Array): Promise<void> {
    const remote = this.#remote;
    if (!remote) throw new ProtocolError('a proof arrived from a remote that offered no key');
    if (this.#remoteVerified) throw new ProtocolError('a second proof');
    const valid = await this.suite.verify(remote.key, transcript(this.#nonce, remote.id, this.localId), signature);
    if (!valid) throw new ProofRefused(`the remote could not prove it is ${remote.id}`);
    this.#remoteVerified = true;
  }
}

/** The two halves of an identity as stored on disk (base64url). */
export interface StoredIdentity {
  publicKey: string;
  privateKey: string;
}

/** A fresh identity: an Ed25519 key pair and the peer id it stands for. */
export async function generateIdentity(): Promise<{ id: string; identity: PeerIdentity; stored: StoredIdentity }> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const privateKey = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  return {
    id: await peerIdFromKey(publicKey),
    identity: signer(publicKey, pair.privateKey),
    stored: { publicKey: toBase64Url(publicKey), privateKey: toBase64Url(privateKey) },
  };
}

/** Load a stored identity; throws if it is damaged. */
export async function loadIdentity(stored: StoredIdentity): Promise<{ id: string; identity: PeerIdentity }> {
  const publicKey = fromBase64Url(stored.publicKey);
  const privateKey = fromBase64Url(stored.privateKey);
  if (!publicKey || publicKey.byteLength !== 32 || !privateKey) throw new Error('the stored identity is damaged');
  const key = await crypto.subtle.importKey('pkcs8', privateKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['sign']);
  return { id: await peerIdFromKey(publicKey), identity: signer(publicKey, key) };
}

function signer(publicKey: Uint8Array, privateKey: CryptoKey): PeerIdentity {
  return {
    publicKey,
    sign: async (data) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, data as Uint8Array<ArrayBuffer>)),
  };
}
