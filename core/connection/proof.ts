/**
 * Proof of identity in the handshake. A peer id is the hash of an Ed25519 public key, so a peer
 * cannot claim another's id without its private key:
 *
 *   hello  { ..., auth: { nonce, key?, proof? } }   nonce: 16 random bytes per connection;
 *                                                     key: 32 bytes
 *   proof  signature by the sender's key over
 *          "whatnext/proof/v2" | the receiver's nonce | sender id | receiver id | binding
 *
 * `binding` is the sender's end of the transport's secure session (WebRTC: its DTLS certificate
 * fingerprints, the webrtc plugin's `webRtcBinding`), when the transport reports one. The sender
 * signs its own; the receiver checks against the one its transport saw for the remote. Someone
 * in the middle terminates each side's session with a certificate of its own, so the proofs it
 * relays name sessions that are not the ones the receivers hold, and fail. Without a binding (a
 * transport with no session of its own) a proof only shows the key holder answered at that
 * moment.
 *
 * A side with an identity answers the remote's nonce with a proof; a side that requires proof
 * opens only after verifying the remote's. On the pipe alone that takes two trips: hellos, then
 * PROOF frames answering them. A signaling method can move part of it ahead, while the
 * transport connects:
 *
 * - the remote's nonce, sent ahead: our proof is made early and travels in our hello (one trip);
 * - our whole hello, proof included, sent ahead: the remote checks it before the pipe opens, and
 *   opens as soon as the pipe does; the hello it later gets on the pipe must be the same peer.
 * Runtime-neutral: WebCrypto only.
 */
import { z } from 'zod';
import { HandshakeNonce } from '../contracts/signaling';
import type { BindingSide } from '../contracts/transport';
import { ProtocolError } from '../errors';
import { concatBytes } from '../util/bytes';
import { base32, fromBase64Url, secureRandomBytes, toBase64Url } from '../util/ids';

/** What a peer proves itself with. The service keeps the private half. */
export interface PeerIdentity {
  /** Raw Ed25519 public key (32 bytes). The peer id is `peerIdFromKey(publicKey)`. */
  readonly publicKey: Uint8Array;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export const HelloAuth = z
  .object({
    nonce: HandshakeNonce,
    key: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, 'a key is 32 bytes of base64url')
      .optional(),
    /** The sender's proof over the receiver's nonce, when the nonce came ahead through signaling. */
    proof: z
      .string()
      .regex(/^[A-Za-z0-9_-]{86}$/, 'a proof is a 64-byte signature in base64url')
      .optional(),
    /** The receiver's nonce that proof answers: a proof for another (a spent link's) is set
     * aside and a PROOF frame follows; one for the receiver's own nonce that fails is refused. */
    answers: HandshakeNonce.optional(),
  })
  .refine(
    (auth) => auth.proof === undefined || (auth.key !== undefined && auth.answers !== undefined),
    'a proof comes with the key it is checked with and the nonce it answers',
  );
export type HelloAuth = z.infer<typeof HelloAuth>;

const CONTEXT = new TextEncoder().encode('whatnext/proof/v2');
const encoder = new TextEncoder();
/** Marks whether a binding follows in the transcript ("none" and "" must differ). */
const NO_BINDING = Uint8Array.of(0);
const BINDING = Uint8Array.of(1);

/** The peer id a key stands for: the first 16 bytes of its SHA-256, in base32. */
export async function peerIdFromKey(publicKey: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', publicKey as Uint8Array<ArrayBuffer>));
  return base32(digest.subarray(0, 16));
}

/** What a proof signs. Every part but the last has a fixed length (ids are 26 characters). */
function transcript(verifierNonce: Uint8Array, proverId: string, verifierId: string, proverBinding: string | undefined): Uint8Array<ArrayBuffer> {
  const binding = proverBinding === undefined ? [NO_BINDING] : [BINDING, encoder.encode(proverBinding)];
  return concatBytes(CONTEXT, verifierNonce, encoder.encode(proverId), encoder.encode(verifierId), ...binding);
}

/** The crypto a handshake verifies with. WebCrypto by default (any runtime); a host may pass a
 * faster one of the same meaning (the service passes node:crypto's, run on the thread pool). */
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

/** A proof made ahead, over a nonce the remote sent through signaling. */
interface EarlyProof {
  nonce: string;
  remoteId: string;
  /** Our binding it was made with. */
  binding: string | undefined;
  signing: Promise<Uint8Array>;
  signature?: Uint8Array;
}

/**
 * One connection's side of the proof exchange. Our proof answers the remote's nonce: it rides
 * in our hello when it was made ahead (over the nonce signaling brought) and is ready in time,
 * else a PROOF frame carries it once both hellos are known. A proof in a hello that answers
 * another nonce (a stale link, say) is not fatal: the prover sees the real nonce in our hello
 * and follows with a PROOF frame.
 */
export class Authenticator {
  readonly #nonce = secureRandomBytes(16);
  /** Our nonce as sent: in the hello, and through signaling by methods that can. */
  readonly nonce = toBase64Url(this.#nonce);
  /** The remote as its hello (from the pipe, or checked ahead) says: its id, key and nonce. */
  #remote: { id: string; key?: Uint8Array; nonce?: string } | undefined;
  /** The remote's proof verified, with the remote binding it was checked against (or
   * 'anonymous': an unauthenticated remote, accepted because proof is optional here). Reset
   * whenever `#remote` changes. */
  #verified: 'anonymous' | { binding: string | undefined } | undefined;
  /** The remote's last proof (in its hello or a PROOF frame) and the nonce it says it answers,
   * kept to check again if the remote's binding becomes known only after it arrived. */
  #remoteProof: { signature: Uint8Array; answers: string | undefined } | undefined;
  /** Each side's end of the transport's secure session, once the transport reports it. */
  #binding: { local?: string; remote?: string } = {};
  #early: EarlyProof | undefined;
  /** A proof to make ahead as soon as our binding is known (see `presign`). */
  #presignLater: { remoteId: string; nonce: string } | undefined;
  #helloSent = false;
  /** The proof our hello carried. */
  #inHello: EarlyProof | undefined;
  #frame: 'none' | 'due' | 'sent' = 'none';
  /** The identity key (base64url) core's secure session proved the remote holds, null for none,
   * once that session is made (secure/session.ts). There each side's identity signed its end of
   * the session, which is this exchange's proof already, bound to the session: no nonce is
   * signed on top, and no PROOF frame follows. */
  #secured: string | null | undefined;

  constructor(
    private readonly localId: string,
    private readonly identity: PeerIdentity | undefined,
    private readonly required: boolean,
    private readonly suite: ProofSuite = webCryptoSuite,
  ) {}

  /**
   * The remote's nonce (and the id it claims) arrived through signaling: sign it now, so the
   * proof can go out in our hello. Untrusted and best effort: a malformed nonce, or one that
   * comes after our hello, is ignored; a newer one replaces an older (a link's nonce, say, when
   * the remote's hello says otherwise); a wrong one only costs a PROOF frame later.
   */
  presign(remoteId: string, nonce: string): void {
    // Too late once our hello is out, or once a PROOF frame answers the remote's nonce (the
    // remote's hello came first): our hello must not carry a second proof.
    if (!this.identity || this.#helloSent || this.#frame !== 'none') return;
    // The transport has a session (the remote's end is known) but ours is not made yet: sign
    // once, when it is.
    if (this.#binding.remote !== undefined && this.#binding.local === undefined) {
      this.#presignLater = { remoteId, nonce };
      return;
    }
    const binding = this.#binding.local;
    if (this.#early?.nonce === nonce && this.#early.remoteId === remoteId && this.#early.binding === binding) return;
    const bytes = HandshakeNonce.safeParse(nonce).success ? fromBase64Url(nonce) : undefined;
    if (!bytes) return;
    const early: EarlyProof = { nonce, remoteId, binding, signing: this.identity.sign(transcript(bytes, this.localId, remoteId, binding)) };
    early.signing.then(
      (signature) => (early.signature = signature),
      () => undefined, // surfaces where the proof is needed (proofFrame)
    );
    this.#early = early;
  }

  /**
   * The transport reported one side of its secure session (see `PipeSink.binding`). Our side
   * goes into our proofs (a proof made ahead without it is made again); the remote's is what
   * its proof is checked against. Returns true when a proof already checked must be checked
   * again (`recheck`). Throws when a side's binding changes, or ours after our hello went out:
   * one session has one binding, and the transport reports it before the first frame.
   */
  setBinding(side: BindingSide, value: string): boolean {
    const known = this.#binding[side];
    if (known === value) return false;
    if (known !== undefined) throw new Error(`the transport reported a second ${side} binding`);
    if (side === 'local' && this.#helloSent) throw new Error('the transport reported our binding after the handshake started');
    this.#binding[side] = value;
    if (side === 'local') {
      const next = this.#presignLater ?? this.#early;
      this.#presignLater = undefined;
      if (next) this.presign(next.remoteId, next.nonce);
      return false;
    }
    return this.#remoteProof !== undefined;
  }

  /** Core's secure session is made (see `#secured`); before our hello goes out. */
  secured(remoteKey: string | null): void {
    this.#secured = remoteKey;
  }

  /** Check the remote's proof again, against the remote binding now known: one that was good
   * without it but not with it, for our nonce, was made for another connection. */
  async recheck(): Promise<void> {
    const key = this.#remote?.key;
    const proof = this.#remoteProof;
    if (!key || !proof) return;
    const verified = await this.#check(key, proof.signature);
    if (verified) this.#verified = verified;
    else if (proof.answers === this.nonce) throw this.#refusal();
  }

  /** Our auth with the proof made ahead, for a hello sent through signaling: resolves once
   * that proof is made (undefined if none is being made, or making it failed). */
  async signalledAuth(): Promise<HelloAuth | undefined> {
    const early = this.#early;
    if (!early || !this.identity) return undefined;
    const signature = await early.signing.catch(() => undefined);
    // A newer proof (a new nonce or binding) replaced this one meanwhile: send the newer.
    if (this.#early !== early) return this.signalledAuth();
    if (!signature) return undefined;
    return { nonce: this.nonce, key: toBase64Url(this.identity.publicKey), proof: toBase64Url(signature), answers: early.nonce };
  }

  /** What our hello on the pipe carries; called once, as it is sent. */
  helloAuth(): HelloAuth {
    this.#helloSent = true;
    if (!this.identity) return { nonce: this.nonce };
    const auth: HelloAuth = { nonce: this.nonce, key: toBase64Url(this.identity.publicKey) };
    if (this.#early?.signature && this.#secured === undefined) {
      this.#inHello = this.#early;
      auth.proof = toBase64Url(this.#early.signature);
      auth.answers = this.#early.nonce;
    }
    return auth;
  }

  /**
   * The remote's hello (from the pipe, or one that came ahead): check its key against its id
   * and the proof it carries. A key that is malformed or not the id's refuses the remote; a
   * proof that does not verify is set aside (it may answer a nonce we never used, and a PROOF
   * frame then follows). Returns whether the remote is now proven.
   */
  async checkRemote(remoteId: string, auth: HelloAuth | undefined): Promise<boolean> {
    const key = auth?.key === undefined ? undefined : fromBase64Url(auth.key);
    this.#remote = { id: remoteId, ...(key && { key }), ...(auth && { nonce: auth.nonce }) };
    this.#verified = undefined;
    if (!auth?.key) {
      if (this.required) throw new ProofRefused(`the remote (${remoteId}) did not prove its identity`);
      this.#verified = 'anonymous';
      return true;
    }
    if (!key || key.byteLength !== 32) throw new ProofRefused('the remote sent a malformed key');
    if ((await this.suite.idOf(key)) !== remoteId) throw new ProofRefused(`the remote's key does not belong to peer id ${remoteId}`);
    if (this.#secured !== undefined) {
      // The session proved this key (the handshake refuses a hello naming another first).
      this.#verified = this.#secured === auth.key ? { binding: this.#binding.remote } : undefined;
      if (!this.#verified) throw this.#refusal();
      return true;
    }
    const signature = auth.proof === undefined ? undefined : fromBase64Url(auth.proof);
    this.#remoteProof = signature && { signature, answers: auth.answers };
    if (!signature) return this.remoteVerified;
    this.#verified = await this.#check(key, signature);
    // A proof for our nonce that fails is wrong (forged, or made for another connection: someone
    // relaying this one); one for another nonce is stale, and the prover follows with a PROOF frame.
    if (!this.#verified && auth.answers === this.nonce) throw this.#refusal();
    return this.remoteVerified;
  }

  /** Forget a remote hello that came ahead and did not check out (`checkRemote` recorded it). */
  forgetRemote(): void {
    this.#remote = undefined;
    this.#remoteProof = undefined;
    this.#verified = undefined;
  }

  /** The remote's proof arrived as a frame. */
  async onProof(signature: Uint8Array): Promise<void> {
    // Inside core's secure session the session's signatures are the proof; one the remote made
    // before its session was (a hello that came ahead through signaling, say) is redundant.
    if (this.#secured !== undefined) return;
    const key = this.#remote?.key;
    if (!key) throw new ProtocolError('a proof arrived from a remote that offered no key');
    if (this.remoteVerified) throw new ProtocolError('a second proof');
    this.#remoteProof = { signature, answers: this.nonce };
    const verified = await this.#check(key, signature);
    if (!verified) throw this.#refusal();
    this.#verified = verified;
  }

  /** True once the remote's hello is checked and its proof verified (or proof is neither
   * required nor offered). */
  get remoteVerified(): boolean {
    const verified = this.#verified;
    if (verified === 'anonymous') return true;
    // Our end has a session, so the remote's proof must have been checked against its end.
    if (this.#binding.local !== undefined && this.#binding.remote === undefined) return false;
    return verified !== undefined && verified.binding === this.#binding.remote;
  }

  /** Once the remote's hello is known: our proof for a PROOF frame (sent after our hello), if
   * our hello does not answer the remote's nonce. Undefined if none is needed, it is on its way,
   * or our hello, not yet out, may still carry it (the proof made ahead for that nonce). */
  proofFrame(): Promise<Uint8Array> | undefined {
    const remote = this.#remote;
    if (!this.identity || this.#secured !== undefined || this.#frame !== 'none' || !remote?.nonce || this.#answers(this.#inHello)) return undefined;
    const ahead = this.#answers(this.#early);
    // A proof for this nonce waiting for our binding will be made ahead, in time for our hello.
    const later = this.#presignLater;
    const waiting = later !== undefined && later.nonce === remote.nonce && later.remoteId === remote.id;
    if ((ahead || waiting) && !this.#helloSent) return undefined;
    this.#frame = 'due';
    return ahead ? this.#early!.signing : this.identity.sign(transcript(fromBase64Url(remote.nonce)!, this.localId, remote.id, this.#binding.local));
  }

  /** Our PROOF frame went out. */
  proofFrameSent(): void {
    this.#frame = 'sent';
  }

  /** True once the remote can check our proof (or there is none to give). */
  get ourProofDone(): boolean {
    if (!this.identity) return true;
    if (!this.#helloSent || !this.#remote) return false;
    if (this.#secured !== undefined) return true;
    return !this.#remote.nonce || this.#answers(this.#inHello) || this.#frame === 'sent';
  }

  #answers(proof: EarlyProof | undefined): boolean {
    return proof !== undefined && proof.nonce === this.#remote?.nonce && proof.remoteId === this.#remote.id && proof.binding === this.#binding.local;
  }

  #refusal(): ProofRefused {
    const relayed = this.#binding.remote === undefined ? '' : ' on this connection (someone may be relaying it)';
    return new ProofRefused(`the remote could not prove it is ${this.#remote!.id}${relayed}`);
  }

  /** The remote's proof checked against the remote binding known now: what was verified, or
   * undefined. */
  async #check(key: Uint8Array, signature: Uint8Array): Promise<{ binding: string | undefined } | undefined> {
    const binding = this.#binding.remote;
    // Our end has a session, so the remote's does too: a proof checked without it proves too little.
    if (binding === undefined && this.#binding.local !== undefined) return undefined;
    const valid = await this.suite.verify(key, transcript(this.#nonce, this.#remote!.id, this.localId, binding), signature);
    return valid ? { binding } : undefined;
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
