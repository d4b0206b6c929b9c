/**
 * The secure session: the upgrade step core runs first on a pipe whose transport has no secure
 * session of its own (it reported no `PipeSink.binding`: the TCP example, a relay). A Noise XX
 * handshake (noise.ts) agrees a key per direction; from then on every frame the connection
 * sends is sealed with ChaCha20-Poly1305 under a counter nonce, and every frame that arrives
 * must open under the next one. So whoever carries the pipe sees only ciphertext, and any frame
 * it alters, replays, reorders or drops fails (a `ProtocolError`: the connection closes with
 * `protocol-error`).
 *
 * Who is at the other end: as in libp2p's Noise, each side's handshake payload is its Ed25519
 * identity key and that key's signature over its Noise static key. Someone in the middle holds
 * two sessions with static keys of its own, and cannot make either peer's identity sign them;
 * the connection's own handshake then runs inside, and its hello must name the identity key the
 * session proved (handshake.ts, `secured`).
 *
 * Each side's hello (the connection's first frame, handshake.ts) rides in its handshake payload
 * too, after the identity: the connection opens a trip sooner than with a hello after the
 * handshake. The payload is `0` (no identity) or `1`, the identity key and its signature; then
 * the hello frame.
 *
 * Neither side needs to know which one dialled: both send message 1 at once, and the side whose
 * ephemeral key is lower is the initiator (the other's message 1 is dropped, and its ephemeral
 * key answers as the responder's), so the handshake takes the usual one and a half trips.
 *
 * On the pipe: handshake messages are frames of kind 0x07 (wire.ts, `FrameKind.secure`), so a peer
 * that does not encrypt is told apart from a corrupt one; after the handshake a frame is the
 * sealed inner frame and its tag, nothing else.
 */
import type { Pipe } from '../../contracts/transport';
import { ProtocolError } from '../../errors';
import { concatBytes } from '../../util/bytes';
import { webCryptoSuite, type PeerIdentity, type ProofSuite } from '../proof';
import { FrameKind, encodeSecure } from '../wire';
import { NoiseXX, type CipherState } from './noise';
import { TAG_BYTES, nobleSessionCrypto, type KeyPair, type SessionCrypto } from './session-crypto';

const PROLOGUE = new TextEncoder().encode('whatnext/secure/v1');
/** What an identity signs: this context, then its Noise static key. */
const STATIC_KEY_CONTEXT = new TextEncoder().encode('whatnext/secure/static-key/v1');
const IDENTITY_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const KEY_BYTES = 32;
/** Frames that may arrive before our pipe is attached (the remote's message 1, perhaps its
 * message 3 with the first sealed frames behind it): more is not a peer following the protocol. */
const MAX_EARLY_FRAMES = 64;

/** Why the session refuses the remote's identity (not the wire format: `handshake-failed`). */
export class SessionRefused extends Error {}

/** What the session asks of its connection. */
export interface SecureSessionHost {
  /** A frame from the remote, opened (the remote's hello first, from its handshake payload). */
  deliver(frame: Uint8Array): void;
  /** Our hello frame, for our handshake payload; asked for once. */
  hello(): Uint8Array;
  /** The handshake finished: the remote proved this identity key (undefined: it offered none). */
  secured(remoteIdentityKey: Uint8Array | undefined): void;
  /** The session failed: a `ProtocolError` (malformed or unauthentic frame), a `SessionRefused`,
   * or another error (ours). */
  fail(error: unknown): void;
  /** The pipe threw on a handshake frame (as it may once closed). */
  pipeRefused(error: unknown): void;
  ended(): boolean;
}

export interface SecureSessionOptions {
  identity: PeerIdentity | undefined;
  crypto?: SessionCrypto | undefined;
  proofSuite?: ProofSuite | undefined;
}

interface LocalStatic {
  keys: KeyPair;
  /** `1`, identity key, signature; or `0` for a peer without an identity. */
  payload: Uint8Array;
}

const NO_IDENTITY = 0;
const IDENTITY = 1;

/** One static key per identity and crypto suite for the life of the process, as libp2p keeps
 * one per node: its signature is made once, not per connection. */
const statics = new WeakMap<SessionCrypto, WeakMap<PeerIdentity, Promise<LocalStatic>>>();
const anonymousStatics = new WeakMap<SessionCrypto, LocalStatic>();

function localStatic(crypto: SessionCrypto, identity: PeerIdentity | undefined): Promise<LocalStatic> {
  if (!identity) {
    let anonymous = anonymousStatics.get(crypto);
    if (!anonymous) anonymousStatics.set(crypto, (anonymous = { keys: crypto.generateKeyPair(), payload: Uint8Array.of(NO_IDENTITY) }));
    return Promise.resolve(anonymous);
  }
  let byIdentity = statics.get(crypto);
  if (!byIdentity) statics.set(crypto, (byIdentity = new WeakMap()));
  let made = byIdentity.get(identity);
  if (!made) {
    const keys = crypto.generateKeyPair();
    made = identity
      .sign(concatBytes(STATIC_KEY_CONTEXT, keys.publicKey))
      .then((signature) => ({ keys, payload: concatBytes(Uint8Array.of(IDENTITY), identity.publicKey, signature) }));
    made.catch(() => byIdentity.delete(identity)); // a signer that failed once may work next time
    byIdentity.set(identity, made);
  }
  return made;
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.byteLength, b.byteLength); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.byteLength - b.byteLength;
}

export class SecureSession {
  readonly #crypto: SessionCrypto;
  readonly #suite: ProofSuite;
  readonly #static: Promise<LocalStatic>;
  /** Our side as initiator, until the remote's message 1 says which side we are. */
  #noise: NoiseXX | undefined;
  #raw: Pipe | undefined;
  #send: CipherState | undefined;
  #receive: CipherState | undefined;
  /** Frames not handled yet: before the pipe, and while a step of the handshake awaits. */
  readonly #queue: Uint8Array[] = [];
  #busy = false;
  #failed = false;

  constructor(
    private readonly host: SecureSessionHost,
    options: SecureSessionOptions,
  ) {
    this.#crypto = options.crypto ?? nobleSessionCrypto;
    this.#suite = options.proofSuite ?? webCryptoSuite;
    this.#static = localStatic(this.#crypto, options.identity);
    this.#static.catch(() => {}); // surfaces where it is needed
  }

  /** True once the keys exist: frames can go out. */
  get ready(): boolean {
    return this.#send !== undefined;
  }

  /** The pipe the connection works with: frames sealed on the way out, `TAG_BYTES` smaller. */
  wrap(raw: Pipe): Pipe {
    return {
      maxFrameSize: raw.maxFrameSize - TAG_BYTES,
      send: (frame) => {
        // Nothing goes out in clear: before the keys exist (a close during the handshake) the
        // frame is dropped, and the remote sees the pipe close.
        if (this.#send) raw.send(this.#send.encrypt(frame));
      },
      close: () => raw.close(),
      ...(raw.bufferedAmount && { bufferedAmount: () => raw.bufferedAmount!() }),
      ...(raw.lowWaterMark !== undefined && { lowWaterMark: raw.lowWaterMark }),
    };
  }

  /** The pipe is attached: message 1 goes out, then frames that came before it are handled. */
  start(raw: Pipe): void {
    this.#raw = raw;
    // Our static key is not needed before message 2 or 3, and may still be being signed.
    this.#noise = new NoiseXX(true, this.#crypto, PROLOGUE);
    this.#sendHandshake(this.#noise.writeMessage(new Uint8Array(0)));
    this.#pump();
  }

  /** A frame from the pipe, in order. */
  receive(frame: Uint8Array): void {
    if (this.#failed || this.host.ended()) return;
    // The fast path, once the handshake is over and nothing waits before this frame.
    if (this.#receive && !this.#busy && this.#queue.length === 0) return this.#open(frame);
    if (!this.#raw && this.#queue.length >= MAX_EARLY_FRAMES)
      return this.#fail(new ProtocolError(`more than ${MAX_EARLY_FRAMES} frames arrived before the pipe opened`));
    this.#queue.push(frame);
    this.#pump();
  }

  #open(frame: Uint8Array): void {
    let plaintext: Uint8Array;
    try {
      plaintext = this.#receive!.decrypt(frame);
    } catch (error) {
      return this.#fail(error);
    }
    this.host.deliver(plaintext);
  }

  /** Handle queued frames in order; a handshake step that awaits holds the rest behind it. */
  #pump(): void {
    if (this.#busy || !this.#raw) return;
    this.#busy = true;
    void (async () => {
      try {
        while (this.#queue.length > 0 && !this.#failed && !this.host.ended()) {
          const frame = this.#queue.shift()!;
          if (this.#receive) this.#open(frame);
          else await this.#handshakeFrame(frame);
        }
      } catch (error) {
        this.#fail(error);
      } finally {
        this.#busy = false;
      }
    })();
  }

  async #handshakeFrame(frame: Uint8Array): Promise<void> {
    if (!(frame instanceof Uint8Array) || frame.byteLength === 0) throw new ProtocolError('an empty frame during the secure handshake');
    if (frame[0] !== FrameKind.secure) {
      throw new ProtocolError(
        `a frame of kind 0x${frame[0]!.toString(16).padStart(2, '0')} arrived before the secure session was made: the remote does not encrypt this pipe (it may run an older WhatNext)`,
      );
    }
    const message = frame.subarray(1);
    const noise = this.#noise!;
    // Message 1 carries only an ephemeral key (an empty payload); message 2 far more.
    if (noise.initiator && !noise.ourTurn && !noise.done && message.byteLength === KEY_BYTES) {
      // Both sent message 1: the lower ephemeral key leads. Ours is lower: drop the remote's.
      const order = compare(noise.ephemeral.publicKey, message);
      if (order === 0) throw new ProtocolError('the remote sent our own ephemeral key back');
      if (order < 0) return;
      // Theirs is lower: answer it as the responder, with the ephemeral key we sent.
      const ours = await this.#static;
      this.#noise = new NoiseXX(false, this.#crypto, PROLOGUE, { static: ours.keys, ephemeral: noise.ephemeral });
      this.#noise.readMessage(message);
      this.#sendHandshake(this.#noise.writeMessage(concatBytes(ours.payload, this.host.hello())));
      return;
    }
    if (noise.ourTurn || noise.done) throw new ProtocolError('a secure handshake message arrived out of turn');
    if (noise.initiator) {
      // Message 2; our static key rides in message 3.
      const remote = await this.#checkPayload(noise.readMessage(message), noise.remoteStatic!);
      const ours = await this.#static;
      noise.provideStatic(ours.keys);
      this.#sendHandshake(noise.writeMessage(concatBytes(ours.payload, this.host.hello())));
      this.#finish(noise, remote);
      return;
    }
    // Message 3, as the responder.
    this.#finish(noise, await this.#checkPayload(noise.readMessage(message), noise.remoteStatic!));
  }

  /** The remote's payload: no identity, or an identity key that signed its static key; then
   * its hello frame. */
  async #checkPayload(payload: Uint8Array, remoteStatic: Uint8Array): Promise<{ identity: Uint8Array | undefined; hello: Uint8Array }> {
    const kind = payload[0];
    if (kind === NO_IDENTITY) return { identity: undefined, hello: payload.slice(1) };
    const identityBytes = 1 + IDENTITY_KEY_BYTES + SIGNATURE_BYTES;
    if (kind !== IDENTITY || payload.byteLength < identityBytes) throw new ProtocolError('a secure handshake payload without a well-formed identity');
    const key = payload.slice(1, 1 + IDENTITY_KEY_BYTES);
    const signature = payload.slice(1 + IDENTITY_KEY_BYTES, identityBytes);
    const valid = await this.#suite.verify(key, concatBytes(STATIC_KEY_CONTEXT, remoteStatic), signature);
    if (!valid) throw new SessionRefused("the remote's identity key did not sign its end of the secure session (someone may be in the middle)");
    return { identity: key, hello: payload.slice(identityBytes) };
  }

  #finish(noise: NoiseXX, remote: { identity: Uint8Array | undefined; hello: Uint8Array }): void {
    const { send, receive } = noise.result();
    this.#send = send;
    this.#receive = receive;
    this.host.secured(remote.identity);
    // Handled as the first frame (malformed, it is a protocol error there as anywhere).
    if (!this.host.ended()) this.host.deliver(remote.hello);
  }

  #sendHandshake(message: Uint8Array): void {
    try {
      this.#raw!.send(encodeSecure(message));
    } catch (error) {
      this.#failed = true;
      this.host.pipeRefused(error);
    }
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#queue.length = 0;
    this.host.fail(error);
  }
}
