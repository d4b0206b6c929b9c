/**
 * `createConnection`: what core builds on any transport pipe. It ties together the wire format
 * (wire.ts), reassembly, the send queue with backpressure (outbox.ts), channels, pending
 * requests, the heartbeat and the state machine, and turns every way a connection can end into
 * one `CloseReason`.
 *
 * Closing is a small handshake, as in WebSocket: `close()` sends a CLOSE frame and waits for
 * the remote to close the pipe (it does so on reading the frame), closing it itself after
 * `closeTimeoutMs`. Closing the pipe right after the frame would lose the frame on transports
 * that drop buffered data when closed.
 */
import type { PeerInfo } from '../contracts/peer';
import { PeerInfo as PeerInfoSchema } from '../contracts/peer';
import type { ConnectionStage, ConnectionState } from '../contracts/stages';
import type { BindingSide, Pipe, PipeSink } from '../contracts/transport';
import { ProtocolError, describe } from '../errors';
import { Channels, type RequestOutcome } from './channels';
import { ConnectionClosedError } from './errors';
import { Emitter } from '../util/emitter';
import { withoutUndefined } from '../util/objects';
import { Heartbeat } from './heartbeat';
import { Outbox } from './outbox';
import { Reassembler, type AssembledMessage } from './reassembly';
import { PendingRequests } from './requests';
import { StateMachine } from './state';
import type {
  Channel,
  CloseReason,
  Connection,
  ConnectionEvents,
  ConnectionOptions,
  ConnectionStats,
  Message,
  Unsubscribe,
} from './types';
import {
  MAX_USED_FRAME_SIZE,
  MIN_FRAME_SIZE,
  PROTOCOL_VERSION,
  channelNameBytes,
  decodeBody,
  decodeFrame,
  encodeBody,
  encodeClose,
  encodeHello,
  encodeProof,
  encodePing,
  encodePong,
  type Frame,
  Hello,
  type MessageType,
} from './wire';
import { Authenticator, ProofRefused, type HelloAuth } from './proof';

export const CONNECTION_DEFAULTS = Object.freeze({
  heartbeatIntervalMs: 5000,
  deadPeerTimeoutMs: 15000,
  requestTimeoutMs: 10000,
  highWaterMark: 1024 * 1024,
  maxMessageSize: 64 * 1024 * 1024,
  closeTimeoutMs: 2000,
  maxBufferedMessages: 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
});

type Optional = 'expectedRemote' | 'identity' | 'requireProof' | 'proofSuite';
type Settings = Omit<Required<ConnectionOptions>, Optional> & Pick<ConnectionOptions, Optional>;

export function createConnection(options: ConnectionOptions): Connection {
  return new CoreConnection(resolveOptions(options));
}

function resolveOptions(options: ConnectionOptions): Settings {
  const local = PeerInfoSchema.parse(options.local);
  const settings: Settings = { ...CONNECTION_DEFAULTS, ...withoutUndefined(options), local };
  for (const key of Object.keys(CONNECTION_DEFAULTS) as (keyof typeof CONNECTION_DEFAULTS)[]) {
    const value = settings[key];
    if (typeof value !== 'number' || !(value > 0)) throw new RangeError(`connection option ${key} must be a positive number, got ${value}`);
  }
  return settings;
}


function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

class CoreConnection implements Connection {
  readonly id = globalThis.crypto.randomUUID();
  readonly sink: PipeSink;
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseReason>;

  private readonly machine = new StateMachine((state) => this.emit('state', state));
  private currentStage: ConnectionStage = 'signaling';
  private pipe: Pipe | undefined;
  private remotePeer: PeerInfo | undefined;
  private reason: CloseReason | undefined;
  /** Set by `close()`: the reason we end with once the closing handshake completes. */
  private closingReason: CloseReason | undefined;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  private helloSent = false;
  /** The remote's hello frame arrived on the pipe. */
  private helloFrameReceived = false;
  /** The remote's hello as it came through signalling, if it did (see acceptSignalledHello). */
  private signalled: Hello | undefined;
  /** Our PROOF frame, made before we had a pipe (the remote's hello came first): sent after our hello. */
  private pendingProof: Uint8Array | undefined;
  private readonly auth: Authenticator;
  /** Proof work runs in order: a proof frame waits for the hello it answers. */
  private authWork: Promise<void> = Promise.resolve();
  /** Message frames that arrive while the remote's proof is still being checked. */
  private held: Frame[] = [];
  private readonly counters = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 };
  private rttMs: number | undefined;
  private readonly events = new Emitter<ConnectionEvents>(reportListenerError);
  private readonly outbox: Outbox;
  private readonly requests = new PendingRequests();
  private readonly channels: Channels;
  private readonly heartbeat: Heartbeat;
  private readonly reassembler: Reassembler;
  private resolveOpened: () => void = () => {};
  private rejectOpened: (error: Error) => void = () => {};
  private resolveClosed: (reason: CloseReason) => void = () => {};

  constructor(private readonly settings: Settings) {
    this.opened = new Promise<void>((resolve, reject) => {
      this.resolveOpened = resolve;
      this.rejectOpened = reject;
    });
    // Nobody has to await `opened`: a failure is also reported through `closed`.
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.auth = new Authenticator(settings.local.id, settings.identity, settings.requireProof ?? settings.identity !== undefined, settings.proofSuite);
    this.outbox = new Outbox(settings.highWaterMark);
    this.reassembler = new Reassembler(settings.maxMessageSize);
    this.channels = new Channels(
      {
        send: (channel, message) => this.sendMessage('data', channel, 0, message),
        request: (channel, message, options) => this.request(channel, message, options?.timeoutMs),
        respond: (channel, id, outcome) => this.respond(channel, id, outcome),
        listenerError: (error) => reportListenerError(error),
      },
      { messages: settings.maxBufferedMessages, bytes: settings.maxBufferedBytes },
    );
    this.heartbeat = new Heartbeat({
      intervalMs: settings.heartbeatIntervalMs,
      deadPeerTimeoutMs: settings.deadPeerTimeoutMs,
      ping: (nonce) => this.sendFrame(encodePing(nonce)),
      dead: () =>
        this.abort({ by: 'error', code: 'peer-timeout', message: `no frame from the remote for ${settings.deadPeerTimeoutMs} ms` }),
    });
    let pipeEnded = false;
    this.sink = {
      frame: (data) => this.onFrame(data),
      drain: () => this.outbox.drain(),
      closed: (error) => {
        if (pipeEnded) return;
        pipeEnded = true;
        this.onPipeClosed(error);
      },
      binding: (side, value) => this.setBinding(side, value),
    };
  }

  get state(): ConnectionState {
    return this.machine.state;
  }
  get stage(): ConnectionStage {
    return this.currentStage;
  }
  get remote(): PeerInfo | undefined {
    return this.remotePeer;
  }
  get closeReason(): CloseReason | undefined {
    return this.reason;
  }

  setStage(stage: ConnectionStage): void {
    // Transports report stages until they hand over the pipe; from then on the handshake owns it.
    if (this.state !== 'connecting' || this.pipe || stage === 'open') return;
    this.enterStage(stage);
  }

  attach(pipe: Pipe): void {
    if (this.pipe) throw new Error(`connection ${this.id} already has a pipe`);
    if (this.machine.ended) return closeQuietly(pipe);
    this.pipe = pipe;
    if (!(pipe.maxFrameSize >= MIN_FRAME_SIZE)) {
      return this.end({
        by: 'error',
        code: 'transport-failed',
        stage: 'handshake',
        message: `the pipe's maximum frame size (${pipe.maxFrameSize} bytes) is below the ${MIN_FRAME_SIZE} bytes core needs`,
      });
    }
    this.enterStage('handshake');
    this.heartbeat.watch();
    if (!this.sendFrame(encodeHello(this.hello(this.auth.helloAuth())))) return;
    this.helloSent = true;
    const made = this.pendingProof;
    this.pendingProof = undefined;
    if (made && this.sendFrame(encodeProof(made))) this.auth.proofFrameSent();
    // The remote's hello may be known already (it came ahead, or before our pipe): our proof
    // follows now if our hello did not carry it.
    this.prove(() => this.sendProofFrame());
  }

  get handshakeNonce(): string {
    return this.auth.nonce;
  }

  presign(remoteId: string, nonce: string): void {
    if (!this.helloSent && !this.machine.ended) this.auth.presign(remoteId, nonce);
  }

  async signalledHello(): Promise<Hello | undefined> {
    const auth = await this.auth.signalledAuth();
    return auth && this.hello(auth);
  }

  private hello(auth: HelloAuth): Hello {
    return { protocol: PROTOCOL_VERSION, peer: this.settings.local, auth };
  }

  /** The transport reported one side of its secure session (`PipeSink.binding`). */
  private setBinding(side: BindingSide, value: string): void {
    if (this.machine.ended) return;
    let recheck: boolean;
    try {
      recheck = this.auth.setBinding(side, value);
    } catch (error) {
      return this.abort({ by: 'error', code: 'internal-error', stage: 'handshake', message: `the transport misbehaved: ${describe(error)}` });
    }
    // A hello set aside is forgotten (`forgetRemote`), so only one we took is checked again.
    if (recheck) this.prove(() => this.auth.recheck());
  }

  acceptSignalledHello(input: unknown): void {
    // Untrusted and optional: anything that cannot be checked ahead is left to the pipe, which
    // still carries the whole handshake. Once the remote's hello came on the pipe, it decides.
    if (this.helloFrameReceived || this.signalled || this.machine.ended) return;
    const parsed = Hello.safeParse(input);
    if (!parsed.success || !parsed.data.auth?.proof || this.helloRefusal(parsed.data)) return;
    const hello = parsed.data;
    const auth = parsed.data.auth;
    this.presign(hello.peer.id, auth.nonce); // our proof answers the nonce this hello names
    this.prove(async () => {
      if (this.helloFrameReceived || this.signalled) return;
      const proven = await this.auth.checkRemote(hello.peer.id, auth).catch((error: unknown) => {
        if (error instanceof ProofRefused) return false; // the pipe's hello will be checked on its own
        throw error;
      });
      // Set aside: its remote is forgotten, so no PROOF frame of ours answers its nonce (a proof
      // for it made ahead may still ride in our hello; the remote sets that aside in turn).
      if (!proven) return this.auth.forgetRemote();
      this.signalled = hello;
      this.remotePeer = hello.peer;
      await this.sendProofFrame();
    });
  }

  fail(stage: ConnectionStage, error: unknown): void {
    if (this.machine.ended) return;
    this.enterStage(stage);
    this.abort({ by: 'error', code: isAbort(error) ? 'aborted' : 'transport-failed', message: describe(error), stage });
  }

  channel(name: string): Channel {
    channelNameBytes(name); // validates
    return this.channels.get(name);
  }

  async close(message?: string): Promise<void> {
    if (!this.machine.ended && this.state !== 'closing') {
      const reason: CloseReason = { by: 'local', code: 'closed', message: message ?? 'closed by the local peer' };
      if (!this.pipe) {
        this.end(reason);
      } else {
        this.closingReason = reason;
        this.machine.transition('closing');
        const error = new ConnectionClosedError(reason);
        this.outbox.close(error);
        this.requests.rejectAll(error);
        this.heartbeat.stop();
        this.closeTimer = setTimeout(() => this.end(reason), this.settings.closeTimeoutMs);
        this.sendFrame(encodeClose({ code: reason.code, message: reason.message }));
      }
    }
    await this.closed;
  }

  stats(): ConnectionStats {
    const stats: ConnectionStats = { ...this.counters, droppedMessages: this.channels.dropped };
    if (this.rttMs !== undefined) stats.rttMs = this.rttMs;
    return stats;
  }

  on<E extends keyof ConnectionEvents>(event: E, listener: (value: ConnectionEvents[E]) => void): Unsubscribe {
    return this.events.on(event, listener);
  }

  // ---- receiving ------------------------------------------------------------------------

  private onFrame(data: Uint8Array): void {
    if (this.machine.ended) return;
    this.counters.bytesReceived += data?.byteLength ?? 0;
    this.heartbeat.received();
    try {
      const frame = decodeFrame(data);
      if (this.state === 'closing') {
        // Both sides closed at once: their close frame is as good as the pipe closing.
        if (frame.kind === 'close') this.end(this.closingReason!);
        return;
      }
      this.handleFrame(frame);
    } catch (error) {
      this.frameFailed(error);
    }
  }

  /** A frame held back during the proof exchange, handled now that the connection is open. */
  private handleHeld(frame: Frame): void {
    if (this.machine.ended) return;
    try {
      this.handleFrame(frame);
    } catch (error) {
      this.frameFailed(error);
    }
  }

  private frameFailed(error: unknown): void {
    if (error instanceof ProtocolError) {
      this.abort({ by: 'error', code: 'protocol-error', message: `protocol error: ${error.message}` });
    } else {
      this.abort({ by: 'error', code: 'internal-error', message: `internal error handling a frame: ${describe(error)}` });
    }
  }

  private handleFrame(frame: Frame): void {
    if (frame.kind === 'close') {
      return this.end({ by: 'remote', code: frame.close.code, message: frame.close.message });
    }
    if (frame.kind === 'hello') return this.onHelloFrame(frame.hello);
    if (!this.helloFrameReceived) {
      throw new ProtocolError(`a ${frame.kind === 'start' ? frame.type : frame.kind} frame arrived before the hello`);
    }
    if (frame.kind === 'proof') return this.prove(() => this.auth.onProof(frame.signature));
    // The remote may open (it checked our proof) before we have checked its: hold its messages.
    if ((frame.kind === 'start' || frame.kind === 'chunk') && this.state === 'connecting') {
      this.held.push(frame);
      return;
    }
    switch (frame.kind) {
      case 'ping':
        this.sendFrame(encodePong(frame.nonce));
        return;
      case 'pong': {
        const rtt = this.heartbeat.pong(frame.nonce);
        if (rtt !== undefined) this.rttMs = rtt;
        return;
      }
      case 'start':
      case 'chunk': {
        const message = this.reassembler.push(frame);
        if (message) this.dispatch(message);
        return;
      }
    }
  }

  private onHelloFrame(hello: Hello): void {
    if (this.helloFrameReceived) throw new ProtocolError('a second hello');
    this.helloFrameReceived = true;
    // After any check of a hello that came ahead, which decides what this one must be.
    this.prove(async () => {
      const signalled = this.signalled;
      if (signalled) {
        // The hello checked ahead names the peer, key and nonce our proof answers: the pipe's
        // must name the same.
        if (hello.peer.id !== signalled.peer.id || hello.auth?.key !== signalled.auth?.key || hello.auth?.nonce !== signalled.auth?.nonce) {
          throw new ProofRefused("the remote's hello on the connection differs from the one it sent while signalling");
        }
        return;
      }
      const refusal = this.helloRefusal(hello);
      if (refusal) throw new ProofRefused(refusal);
      this.remotePeer = hello.peer;
      // checkRemote records the remote's nonce at once: our proof is signed while its key is checked.
      await Promise.all([this.auth.checkRemote(hello.peer.id, hello.auth), this.sendProofFrame()]);
    });
  }

  /** Why a hello is refused before any key is looked at, if it is. */
  private helloRefusal(hello: Hello): string | undefined {
    if (hello.protocol !== PROTOCOL_VERSION) return `the remote speaks connection protocol ${hello.protocol}; this side speaks ${PROTOCOL_VERSION}`;
    const expected = this.settings.expectedRemote;
    if (expected !== undefined && hello.peer.id !== expected) return `expected peer ${expected}, but the remote is ${hello.peer.id}`;
    return undefined;
  }

  private refuseHandshake(message: string): void {
    this.abort({ by: 'error', code: 'handshake-failed', stage: 'handshake', message });
  }

  /** Our PROOF frame, once the remote's hello is known, unless our hello carries the proof. It
   * must follow our hello: the remote's hello can come before our pipe (simple-peer's responder
   * gets the remote's frames before its 'connect'), and then waits in `pendingProof`. */
  private async sendProofFrame(): Promise<void> {
    const proof = this.auth.proofFrame();
    if (!proof) return;
    let signature: Uint8Array;
    try {
      signature = await proof;
    } catch (error) {
      // Our own key failed us: not the remote's doing.
      return this.abort({ by: 'error', code: 'internal-error', stage: 'handshake', message: `could not sign our proof: ${describe(error)}` });
    }
    if (this.machine.ended) return;
    if (!this.helloSent) this.pendingProof = signature;
    else if (this.sendFrame(encodeProof(signature))) this.auth.proofFrameSent();
  }

  /** Run a step of the proof exchange after the previous one; a refusal fails the handshake. */
  private prove(step: () => Promise<void>): void {
    this.authWork = this.authWork
      .then(async () => {
        if (this.machine.ended) return;
        await step();
        this.openIfReady();
      })
      .catch((error: unknown) => {
        if (error instanceof ProofRefused) {
          this.refuseHandshake(error.message);
        } else {
          this.abort({ by: 'error', code: 'protocol-error', message: describe(error) });
        }
      });
  }

  private openIfReady(): void {
    // `remotePeer` is set once the remote's hello is known (from the pipe, or checked ahead).
    if (!this.helloSent || !this.remotePeer || !this.auth.ourProofDone || !this.auth.remoteVerified || this.state !== 'connecting') return;
    this.machine.transition('open');
    this.enterStage('open');
    this.heartbeat.startPinging();
    const pipe = this.pipe!;
    this.outbox.start(pipe, Math.min(pipe.maxFrameSize, MAX_USED_FRAME_SIZE), (frame) => this.sendFrame(frame));
    this.resolveOpened();
    for (const frame of this.held.splice(0)) this.handleHeld(frame);
  }

  private dispatch(message: AssembledMessage): void {
    const value = decodeBody(message.encoding, message.body);
    this.counters.messagesReceived++;
    const bytes = message.body.byteLength;
    switch (message.type) {
      case 'data':
        return this.channels.deliverMessage(message.channel, value, bytes);
      case 'request':
        return this.channels.deliverRequest(message.channel, message.id, value, bytes);
      case 'response':
        return this.requests.settle(message.id, message.channel, { ok: true, value });
      case 'error': {
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        return this.requests.settle(message.id, message.channel, { ok: false, message: text });
      }
    }
  }

  private onPipeClosed(error: Error | undefined): void {
    if (this.machine.ended) return;
    if (this.closingReason) return this.end(this.closingReason);
    this.end({
      by: 'error',
      code: 'pipe-closed',
      message: error ? `the pipe failed: ${describe(error)}` : 'the pipe closed without a close frame',
    });
  }

  // ---- sending --------------------------------------------------------------------------

  private request(channel: string, message: Message, timeoutMs = this.settings.requestTimeoutMs): Promise<Message> {
    const unusable = this.unusable();
    if (unusable) return Promise.reject(unusable);
    let body: ReturnType<typeof encodeBody>;
    try {
      body = encodeBody(message);
    } catch (error) {
      return Promise.reject(error);
    }
    const { id, response } = this.requests.create(channel, timeoutMs);
    // If queueing fails the connection is ending, and that rejects `response` too.
    this.enqueue('request', channel, id, body).catch(() => {});
    return response;
  }

  private respond(channel: string, id: number, outcome: RequestOutcome): void {
    if (this.unusable()) return;
    let body: ReturnType<typeof encodeBody>;
    let type: MessageType = outcome.ok ? 'response' : 'error';
    try {
      body = encodeBody(outcome.ok ? outcome.value : outcome.message);
    } catch (error) {
      type = 'error';
      body = encodeBody(`the request handler returned something that is not a message: ${describe(error)}`);
    }
    this.enqueue(type, channel, id, body).catch(() => {});
  }

  private sendMessage(type: MessageType, channel: string, id: number, message: Message): Promise<void> {
    const unusable = this.unusable();
    if (unusable) return Promise.reject(unusable);
    try {
      return this.enqueue(type, channel, id, encodeBody(message));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private enqueue(type: MessageType, channel: string, id: number, body: ReturnType<typeof encodeBody>): Promise<void> {
    const sent = this.outbox.enqueue({ type, channel: channelNameBytes(channel), id, ...body });
    return sent.then(() => void this.counters.messagesSent++);
  }

  /** Why nothing can be sent any more, if so. Messages sent while connecting wait for open. */
  private unusable(): ConnectionClosedError | undefined {
    const reason = this.reason ?? this.closingReason;
    return reason ? new ConnectionClosedError(reason) : undefined;
  }

  /** Hand one frame to the pipe. False if the connection is over (or the pipe just failed). */
  private sendFrame(frame: Uint8Array): boolean {
    if (!this.pipe || this.machine.ended) return false;
    try {
      this.pipe.send(frame);
    } catch (error) {
      this.end({ by: 'error', code: 'pipe-closed', message: `the pipe refused a frame: ${describe(error)}` });
      return false;
    }
    this.counters.bytesSent += frame.byteLength;
    return true;
  }

  // ---- ending ---------------------------------------------------------------------------

  /** End because something went wrong here: tell the remote why (best effort), then end. */
  private abort(reason: CloseReason): void {
    if (this.machine.ended) return;
    if (this.pipe && this.state !== 'closing') this.sendFrame(encodeClose({ code: reason.code, message: reason.message }));
    this.end(reason);
  }

  /** The one place a connection ends: settle everything, free everything, close the pipe. */
  private end(reason: CloseReason): void {
    if (this.machine.ended) return;
    // Once close() has begun, whatever else happens (a failing pipe, garbage) we end as asked.
    if (this.closingReason) reason = this.closingReason;
    const final: CloseReason = reason.by === 'error' ? { ...reason, stage: reason.stage ?? this.currentStage } : reason;
    this.reason = final;
    clearTimeout(this.closeTimer);
    this.heartbeat.stop();
    const error = new ConnectionClosedError(final);
    this.outbox.close(error);
    this.requests.rejectAll(error);
    this.channels.close();
    this.machine.transition(final.by === 'error' ? 'failed' : 'closed');
    if (this.pipe) closeQuietly(this.pipe);
    this.rejectOpened(error);
    this.resolveClosed(final);
    this.emit('close', final);
  }

  private enterStage(stage: ConnectionStage): void {
    if (stage === this.currentStage) return;
    this.currentStage = stage;
    this.emit('stage', stage);
  }

  private emit<E extends keyof ConnectionEvents>(event: E, value: ConnectionEvents[E]): void {
    this.events.emit(event, value);
  }
}

function closeQuietly(pipe: Pipe): void {
  try {
    pipe.close();
  } catch (error) {
    reportListenerError(error);
  }
}

/** A subscriber's (or a pipe's close) exception must not break the connection; it still
 * deserves to be seen. */
function reportListenerError(error: unknown): void {
  console.error('[whatnext connection] a listener threw:', error);
}
