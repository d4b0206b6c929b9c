/**
 * `createConnection`: what core builds on any transport pipe. It ties together the wire format
 * (wire.ts), the handshake (handshake.ts), reassembly, the send queue with backpressure
 * (outbox.ts), channels, pending requests, the heartbeat and the state machine, and turns every
 * way a connection can end into one `CloseReason`.
 *
 * Closing is a small handshake, as in WebSocket: `close()` sends a CLOSE frame and waits for
 * the remote to close the pipe (it does so on reading the frame), closing it itself after
 * `closeTimeoutMs`. Closing the pipe right after the frame would lose the frame on transports
 * that drop buffered data when closed.
 */
import type { PeerId, PeerInfo } from '../contracts/peer';
import { PeerInfo as PeerInfoSchema } from '../contracts/peer';
import type { HandshakeAhead } from '../contracts/signaling';
import type { ConnectionStage, ConnectionState } from '../contracts/stages';
import { ConnectionPath, type Pipe, type PipeSink } from '../contracts/transport';
import { ProtocolError, describe } from '../errors';
import { Channels, type RequestOutcome } from './channels';
import type { CloseCode } from './close-codes';
import { ConnectionClosedError } from './errors';
import { Emitter } from '../util/emitter';
import { withoutUndefined } from '../util/objects';
import { Handshake } from './handshake';
import { Heartbeat } from './heartbeat';
import { Outbox } from './outbox';
import { Reassembler, type AssembledMessage } from './reassembly';
import { SecureSession, SessionRefused } from './secure/session';
import { PendingRequests } from './requests';
import { StateMachine } from './state';
import type { Channel, CloseReason, Connection, ConnectionEvents, ConnectionOptions, ConnectionStats, Message, Unsubscribe } from './types';
import {
  MAX_USED_FRAME_SIZE,
  MIN_FRAME_SIZE,
  channelNameBytes,
  decodeBody,
  decodeFrame,
  encodeBody,
  encodeAck,
  encodeClose,
  encodePing,
  encodePong,
  interleaveLimits,
  type Frame,
  type MessageType,
} from './wire';

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

type Optional = 'expectedRemote' | 'identity' | 'requireProof' | 'proofSuite' | 'interleave' | 'sessionCrypto' | 'encryptUnboundPipes';
type Settings = Omit<Required<ConnectionOptions>, Optional> & Pick<ConnectionOptions, Optional>;

/** A connection as its maker holds it. Not exported from core's index: only core/kernel (and the
 * test kit, narrowed) hand it out, and plugins get the `Connection` it extends. */
export interface UpgradingConnection extends Connection {
  /** The sink to hand to the transport before dialling. */
  readonly sink: PipeSink;
  /** A stage the transport or signaling reached (ignored once a pipe is attached). */
  setStage(stage: ConnectionStage): void;
  /** The transport delivered a pipe: run the handshake and open. */
  attach(pipe: Pipe): void;
  /** The attempt failed before a pipe existed. */
  fail(stage: ConnectionStage, error: unknown): void;
  /** What of the handshake signaling can carry, for one attempt (`AttemptContext.handshake`);
   * `claimedRemote`: who signaling says the remote is, when its nonce arrives. */
  handshakeAhead(claimedRemote: () => PeerId | undefined): HandshakeAhead;
  /** Both sides' handshake nonces, the same on both ends (see `Handshake.sessionKey`). */
  readonly sessionKey: string | undefined;
  /** `close` with one of core's close codes other than 'closed'. */
  closeAs(code: CloseCode, message: string): Promise<void>;
  /** Whether the remote answers now (a ping, and any frame within `timeoutMs`); false unless open. */
  alive(timeoutMs: number): Promise<boolean>;
}

export function createConnection(options: ConnectionOptions): UpgradingConnection {
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

class CoreConnection implements UpgradingConnection {
  readonly id = globalThis.crypto.randomUUID();
  readonly sink: PipeSink;
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseReason>;

  private readonly machine = new StateMachine((state) => this.emit('state', state));
  private currentStage: ConnectionStage = 'signaling';
  /** The pipe frames go out on: the transport's, or the secure session's over it. */
  private pipe: Pipe | undefined;
  /** Whether the transport reported a secure session of its own (`PipeSink.binding`). */
  private transportBound = false;
  /** The secure session on a pipe without one of its own; null once decided that there is none
   * (undefined: not decided yet, until the pipe or its first frame). */
  private secure: SecureSession | null | undefined;
  private reason: CloseReason | undefined;
  /** Set by `close()`: the reason we end with once the closing handshake completes. */
  private closingReason: CloseReason | undefined;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly handshake: Handshake;
  private readonly counters = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 };
  private rttMs: number | undefined;
  private currentPath: ConnectionPath | undefined;
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
    // What we take from the remote in progress at once; without interleaving, one message.
    const accepted = settings.interleave === false ? undefined : interleaveLimits(settings.maxMessageSize);
    this.handshake = new Handshake(settings, accepted, {
      send: (frame) => this.sendFrame(frame),
      open: (held) => this.open(held),
      fail: (reason) => this.abort(reason),
      ended: () => this.machine.ended,
    });
    this.outbox = new Outbox(settings.highWaterMark);
    this.reassembler = new Reassembler(settings.maxMessageSize, accepted ?? { messages: 1, bytes: settings.maxMessageSize });
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
      dead: () => this.abort({ by: 'error', code: 'peer-timeout', message: `no frame from the remote for ${settings.deadPeerTimeoutMs} ms` }),
    });
    let pipeEnded = false;
    this.sink = {
      frame: (data) => this.onPipeFrame(data),
      drain: () => this.outbox.drain(),
      closed: (error) => {
        if (pipeEnded) return;
        pipeEnded = true;
        this.onPipeClosed(error);
      },
      binding: (side, value) => {
        this.transportBound = true;
        this.handshake.binding(side, value);
      },
      path: (path) => this.setPath(path),
    };
  }

  get state(): ConnectionState {
    return this.machine.state;
  }
  get stage(): ConnectionStage {
    return this.currentStage;
  }
  get remote(): PeerInfo | undefined {
    return this.handshake.remote;
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
    const secure = this.secureSession();
    this.pipe = secure ? secure.wrap(pipe) : pipe;
    // Sealed, a frame carries TAG_BYTES less: what is left still holds any hello, close or first
    // frame core sends (wire.ts, MIN_FRAME_SIZE).
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
    // On a pipe without a session of its own, the handshake runs once the pipe is secure.
    if (secure) secure.start(pipe);
    else this.handshake.start();
  }

  /** Decided once, at the pipe or its first frame, whichever comes first: the transport reports
   * its session's bindings before either. */
  private secureSession(): SecureSession | null {
    if (this.secure !== undefined) return this.secure;
    if (this.transportBound || this.settings.encryptUnboundPipes === false) return (this.secure = null);
    return (this.secure = new SecureSession(
      {
        deliver: (frame) => this.onFrame(frame),
        hello: () => {
          const hello = this.handshake.sessionHello();
          this.counters.bytesSent += hello.byteLength;
          return hello;
        },
        secured: (remoteKey) => {
          this.handshake.secured(remoteKey);
          this.handshake.start();
        },
        fail: (error) => this.secureFailed(error),
        pipeRefused: (error) => this.end({ by: 'error', code: 'pipe-closed', message: `the pipe refused a frame: ${describe(error)}` }),
        ended: () => this.machine.ended,
      },
      { identity: this.settings.identity, crypto: this.settings.sessionCrypto, proofSuite: this.settings.proofSuite },
    ));
  }

  private secureFailed(error: unknown): void {
    if (error instanceof SessionRefused) {
      this.abort({ by: 'error', code: 'handshake-failed', stage: 'handshake', message: error.message });
    } else {
      this.frameFailed(error);
    }
  }

  handshakeAhead(claimedRemote: () => PeerId | undefined): HandshakeAhead {
    return this.handshake.ahead(claimedRemote);
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

  close(message?: string): Promise<void> {
    return this.closeAs('closed', message ?? 'closed by the local peer');
  }

  alive(timeoutMs: number): Promise<boolean> {
    return this.state === 'open' ? this.heartbeat.probe(timeoutMs) : Promise.resolve(false);
  }

  get sessionKey(): string | undefined {
    return this.handshake.sessionKey;
  }

  async closeAs(code: CloseCode, message: string): Promise<void> {
    if (!this.machine.ended && this.state !== 'closing') {
      const reason: CloseReason = { by: 'local', code, message };
      // Before the secure session is made, no close frame can go: the remote sees the pipe close.
      if (!this.pipe || this.secure?.ready === false) {
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
    if (this.currentPath) stats.path = { ...this.currentPath };
    return stats;
  }

  on<E extends keyof ConnectionEvents>(event: E, listener: (value: ConnectionEvents[E]) => void): Unsubscribe {
    return this.events.on(event, listener);
  }

  // ---- receiving ------------------------------------------------------------------------

  /** A frame as the pipe carried it: opened by the secure session first, if there is one. */
  private onPipeFrame(data: Uint8Array): void {
    if (this.machine.ended) return;
    this.heartbeat.received();
    const secure = this.secureSession();
    if (secure) secure.receive(data);
    else this.onFrame(data);
  }

  /** A frame in clear; bytes are counted here and in `sendFrame`, as the connection's frames
   * (before sealing), so both ends count the same. */
  private onFrame(data: Uint8Array): void {
    if (this.machine.ended) return;
    this.counters.bytesReceived += data?.byteLength ?? 0;
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
    if (this.handshake.receive(frame)) return;
    switch (frame.kind) {
      case 'ping':
        this.sendFrame(encodePong(frame.nonce));
        return;
      case 'pong': {
        const rtt = this.heartbeat.pong(frame.nonce);
        if (rtt !== undefined) this.rttMs = rtt;
        return;
      }
      case 'ack':
        return this.outbox.acked(frame.frames);
      case 'start':
      case 'chunk': {
        const message = this.reassembler.push(frame);
        // Read: the sender's window has room again (the message is handled after, so a slow
        // handler does not hold the sender's window).
        if (frame.tag !== undefined) this.sendFrame(encodeAck(1));
        if (message) this.dispatch(message);
        return;
      }
    }
  }

  /** The handshake is done: open, then handle the messages it held meanwhile. */
  private open(held: Frame[]): void {
    if (this.state !== 'connecting') return;
    this.machine.transition('open');
    this.enterStage('open');
    this.heartbeat.startPinging();
    const pipe = this.pipe!;
    this.outbox.start(pipe, Math.min(pipe.maxFrameSize, MAX_USED_FRAME_SIZE), this.handshake.remoteInterleave, (frame) => this.sendFrame(frame));
    this.resolveOpened();
    for (const frame of held) this.handleHeld(frame);
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
    const sent = this.outbox.enqueue(channel, { type, channel: channelNameBytes(channel), id, ...body });
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

  /** Untrusted in shape (a third party's transport reports it): checked, and a malformed one
   * is ignored rather than shown. */
  private setPath(path: ConnectionPath): void {
    if (this.machine.ended) return;
    const parsed = ConnectionPath.safeParse(path);
    if (!parsed.success) return reportListenerError(new TypeError(`the transport reported a malformed path: ${parsed.error.message}`));
    this.currentPath = parsed.data;
    this.emit('path', parsed.data);
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
