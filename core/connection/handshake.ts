/**
 * The handshake: the upgrade step between a pipe and an open connection (as libp2p's upgrader
 * sits between a raw connection and the one its users get). Each side sends a HELLO (protocol,
 * peer, auth), then, unless its hello carried it, a PROOF answering the remote's nonce (the
 * crypto is in proof.ts). The connection hands this module the hello and proof frames, and the
 * message frames that arrive before it opens; the handshake answers through `HandshakeHost`:
 * send a frame, open, or fail.
 *
 * Part of it can go ahead while signaling (`ahead`: the `HandshakeAhead` a signaling method
 * gets): the remote's nonce, so our proof rides in our hello, and whole hellos, checked before
 * the pipe opens.
 */
import type { PeerId, PeerInfo } from '../contracts/peer';
import type { HandshakeAhead } from '../contracts/signaling';
import type { BindingSide } from '../contracts/transport';
import { ProtocolError, describe } from '../errors';
import { toBase64Url } from '../util/ids';
import { Authenticator, ProofRefused, type HelloAuth } from './proof';
import type { CloseReason, ConnectionOptions } from './types';
import { PROTOCOL_VERSION, encodeHello, encodeProof, Hello, type Frame, type InterleaveLimits } from './wire';

/** What the handshake asks of its connection. */
export interface HandshakeHost {
  /** Hand a frame to the pipe; false if the connection is over (or the pipe just failed). */
  send(frame: Uint8Array): boolean;
  /** Both sides are proven: open, then handle the message frames held until now. */
  open(held: Frame[]): void;
  /** End the connection, telling the remote why. */
  fail(reason: CloseReason): void;
  /** True once the connection has ended. */
  ended(): boolean;
}

export type HandshakeSettings = Pick<ConnectionOptions, 'local' | 'expectedRemote' | 'identity' | 'requireProof' | 'proofSuite'>;

export class Handshake {
  readonly #auth: Authenticator;
  #helloSent = false;
  /** The remote's hello frame arrived on the pipe. */
  #helloReceived = false;
  /** The remote's hello as it came through signaling, if it did and checked out. */
  #signalled: Hello | undefined;
  /** Our PROOF frame, made before we had a pipe (the remote's hello came first): sent after our hello. */
  #pendingProof: Uint8Array | undefined;
  /** Proof work runs in order: a proof frame waits for the hello it answers. */
  #work: Promise<void> = Promise.resolve();
  /** Message frames that arrive while the remote's proof is still being checked. */
  #held: Frame[] = [];
  #remote: PeerInfo | undefined;
  /** What the remote takes interleaved, as the hello that made it `#remote` says. */
  #remoteInterleave: InterleaveLimits | undefined;
  /** The nonce in the remote's hello on the pipe (signaling's must be the same). */
  #remoteNonce: string | undefined;
  #opened = false;
  /** The identity key the secure session proved the remote holds (null: it proved none), when
   * core runs one on this pipe (secure/session.ts); the remote's hello must name the same. */
  #securedBy: string | null | undefined;

  /** `interleave`: what this side takes interleaved, offered in its hello (none: nothing). */
  constructor(
    private readonly settings: HandshakeSettings,
    private readonly interleave: InterleaveLimits | undefined,
    private readonly host: HandshakeHost,
  ) {
    this.#auth = new Authenticator(settings.local.id, settings.identity, settings.requireProof ?? settings.identity !== undefined, settings.proofSuite);
  }

  /** The remote as its hello says, once known (from the pipe, or checked ahead). */
  get remote(): PeerInfo | undefined {
    return this.#remote;
  }

  /** What the remote takes interleaved, once known; undefined for a remote that does not. */
  get remoteInterleave(): InterleaveLimits | undefined {
    return this.#remoteInterleave;
  }

  /** Both sides' nonces, the same string on both ends of this connection and on no other: what
   * two peers compare to agree which of two connections between them stays. Undefined until the
   * remote's hello came, or if it had no nonce. */
  get sessionKey(): string | undefined {
    return this.#remoteNonce === undefined ? undefined : [this.#auth.nonce, this.#remoteNonce].sort().join(':');
  }

  /** The handshake-ahead API for a signaling method; `claimedRemote` says who signaling says
   * the remote is, when a nonce arrives (our proof names it). */
  ahead(claimedRemote: () => PeerId | undefined): HandshakeAhead {
    return {
      nonce: this.#auth.nonce,
      remoteNonce: (nonce) => {
        const claimed = claimedRemote();
        if (claimed && typeof nonce === 'string') this.#presign(claimed, nonce);
      },
      hello: () => this.#signalledHello(),
      remoteHello: (hello) => this.#acceptSignalledHello(hello),
    };
  }

  /** The pipe is attached: our hello goes out, then any proof made before it. */
  start(): void {
    if (!this.#helloSent) {
      if (!this.host.send(encodeHello(this.#hello(this.#auth.helloAuth())))) return;
      this.#helloSent = true;
    }
    const made = this.#pendingProof;
    this.#pendingProof = undefined;
    if (made && this.host.send(encodeProof(made))) this.#auth.proofFrameSent();
    // The remote's hello may be known already (it came ahead, or before our pipe): our proof
    // follows now if our hello did not carry it.
    this.#prove(() => this.#sendProofFrame());
  }

  /** Our hello frame for core's secure session to carry in its handshake (secure/session.ts),
   * a trip sooner than a frame after it; `start` then sends no other. */
  sessionHello(): Uint8Array {
    this.#helloSent = true;
    return encodeHello(this.#hello(this.#auth.helloAuth()));
  }

  /** A frame from the remote (not a close): true if the handshake took it (a hello, a proof, or
   * a message held until open). Throws a `ProtocolError` for a frame out of order. */
  receive(frame: Frame): boolean {
    if (frame.kind === 'hello') {
      this.#onHelloFrame(frame.hello);
      return true;
    }
    if (!this.#helloReceived) {
      throw new ProtocolError(`a ${frame.kind === 'start' ? frame.type : frame.kind} frame arrived before the hello`);
    }
    if (frame.kind === 'proof') {
      this.#prove(() => this.#auth.onProof(frame.signature));
      return true;
    }
    // The remote may open (it checked our proof) before we have checked its: hold its messages.
    if ((frame.kind === 'start' || frame.kind === 'chunk') && !this.#opened) {
      this.#held.push(frame);
      return true;
    }
    return false;
  }

  /** Core's secure session on this pipe is made, and proved the remote holds this identity key
   * (undefined: it offered none). Called before `start`: a hello that came ahead through
   * signaling, already checked, must name the same key. */
  secured(remoteKey: Uint8Array | undefined): void {
    this.#securedBy = remoteKey === undefined ? null : toBase64Url(remoteKey);
    this.#auth.secured(this.#securedBy);
    this.#prove(async () => {
      const refusal = this.#signalled && this.#keyRefusal(this.#signalled);
      if (refusal) throw new ProofRefused(refusal);
    });
  }

  /** The transport reported one side of its secure session (`PipeSink.binding`). */
  binding(side: BindingSide, value: string): void {
    if (this.host.ended()) return;
    let recheck: boolean;
    try {
      recheck = this.#auth.setBinding(side, value);
    } catch (error) {
      return this.host.fail({ by: 'error', code: 'internal-error', stage: 'handshake', message: `the transport misbehaved: ${describe(error)}` });
    }
    // A hello set aside is forgotten (`forgetRemote`), so only one we took is checked again.
    if (recheck) this.#prove(() => this.#auth.recheck());
  }

  #hello(auth: HelloAuth): Hello {
    return { protocol: PROTOCOL_VERSION, peer: this.settings.local, auth, ...(this.interleave && { interleave: this.interleave }) };
  }

  #presign(remoteId: PeerId, nonce: string): void {
    if (!this.#helloSent && !this.host.ended()) this.#auth.presign(remoteId, nonce);
  }

  async #signalledHello(): Promise<Hello | undefined> {
    const auth = await this.#auth.signalledAuth();
    return auth && this.#hello(auth);
  }

  /** The remote's hello as it came through signaling. One with a proof is checked now, as a
   * hello on the pipe would be; if it checks out the connection opens as soon as the pipe does,
   * and the remote's hello on the pipe must then name the same peer, key and nonce. */
  #acceptSignalledHello(input: unknown): void {
    // Untrusted and optional: anything that cannot be checked ahead is left to the pipe, which
    // still carries the whole handshake. Once the remote's hello came on the pipe, it decides.
    if (this.#helloReceived || this.#signalled || this.host.ended()) return;
    const parsed = Hello.safeParse(input);
    if (!parsed.success || !parsed.data.auth?.proof || this.#helloRefusal(parsed.data)) return;
    const hello = parsed.data;
    const auth = parsed.data.auth;
    this.#presign(hello.peer.id, auth.nonce); // our proof answers the nonce this hello names
    this.#prove(async () => {
      if (this.#helloReceived || this.#signalled) return;
      const proven = await this.#auth.checkRemote(hello.peer.id, auth).catch((error: unknown) => {
        if (error instanceof ProofRefused) return false; // the pipe's hello will be checked on its own
        throw error;
      });
      // Set aside: its remote is forgotten, so no PROOF frame of ours answers its nonce (a proof
      // for it made ahead may still ride in our hello; the remote sets that aside in turn).
      if (!proven) return this.#auth.forgetRemote();
      this.#signalled = hello;
      this.#remote = hello.peer;
      this.#remoteInterleave = hello.interleave;
      await this.#sendProofFrame();
    });
  }

  #onHelloFrame(hello: Hello): void {
    if (this.#helloReceived) throw new ProtocolError('a second hello');
    this.#helloReceived = true;
    this.#remoteNonce = hello.auth?.nonce;
    // After any check of a hello that came ahead, which decides what this one must be.
    this.#prove(async () => {
      const signalled = this.#signalled;
      if (signalled) {
        // The hello checked ahead names the peer, key and nonce our proof answers: the pipe's
        // must name the same.
        if (hello.peer.id !== signalled.peer.id || hello.auth?.key !== signalled.auth?.key || hello.auth?.nonce !== signalled.auth?.nonce) {
          throw new ProofRefused("the remote's hello on the connection differs from the one it sent while signaling");
        }
        return;
      }
      const refusal = this.#helloRefusal(hello);
      if (refusal) throw new ProofRefused(refusal);
      this.#remote = hello.peer;
      this.#remoteInterleave = hello.interleave;
      // checkRemote records the remote's nonce at once: our proof is signed while its key is checked.
      await Promise.all([this.#auth.checkRemote(hello.peer.id, hello.auth), this.#sendProofFrame()]);
    });
  }

  /** Why a hello is refused before any key is looked at, if it is. */
  #helloRefusal(hello: Hello): string | undefined {
    if (hello.protocol !== PROTOCOL_VERSION) return `the remote speaks connection protocol ${hello.protocol}; this side speaks ${PROTOCOL_VERSION}`;
    const expected = this.settings.expectedRemote;
    if (expected !== undefined && hello.peer.id !== expected) return `expected peer ${expected}, but the remote is ${hello.peer.id}`;
    return this.#keyRefusal(hello);
  }

  /** A hello whose key is not the one the secure session proved: someone in the middle relays
   * a hello it cannot back with the remote's session. */
  #keyRefusal(hello: Hello): string | undefined {
    if (this.#securedBy === undefined || (hello.auth?.key ?? null) === this.#securedBy) return undefined;
    return "the remote's hello names a key other than the one that secured the connection";
  }

  /** Our PROOF frame, once the remote's hello is known, unless our hello carries the proof. It
   * must follow our hello: the remote's hello can come before our pipe (simple-peer's responder
   * gets the remote's frames before its 'connect'), and then waits in `#pendingProof`. */
  async #sendProofFrame(): Promise<void> {
    const proof = this.#auth.proofFrame();
    if (!proof) return;
    let signature: Uint8Array;
    try {
      signature = await proof;
    } catch (error) {
      // Our own key failed us: not the remote's doing.
      return this.host.fail({ by: 'error', code: 'internal-error', stage: 'handshake', message: `could not sign our proof: ${describe(error)}` });
    }
    if (this.host.ended()) return;
    if (!this.#helloSent) this.#pendingProof = signature;
    else if (this.host.send(encodeProof(signature))) this.#auth.proofFrameSent();
  }

  /** Run a step of the proof exchange after the previous one; a refusal fails the handshake. */
  #prove(step: () => Promise<void>): void {
    this.#work = this.#work
      .then(async () => {
        if (this.host.ended()) return;
        await step();
        this.#openIfReady();
      })
      .catch((error: unknown) => {
        if (error instanceof ProofRefused) {
          this.host.fail({ by: 'error', code: 'handshake-failed', stage: 'handshake', message: error.message });
        } else {
          this.host.fail({ by: 'error', code: 'protocol-error', message: describe(error) });
        }
      });
  }

  #openIfReady(): void {
    if (this.#opened || !this.#helloSent || !this.#remote || !this.#auth.ourProofDone || !this.#auth.remoteVerified) return;
    this.#opened = true;
    this.host.open(this.#held.splice(0));
  }
}
