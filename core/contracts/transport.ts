/**
 * The transport contract: the smallest thing a third party implements.
 *
 * A transport produces a *pipe*: an ordered, reliable duplex of binary frames no larger than
 * `maxFrameSize`. Everything else (chunking, channels, request/response, backpressure that
 * `send` awaits, heartbeats, close reasons) is built on top by core's connection
 * (`core/connection`), so every transport gets the same behaviour.
 */
import { z } from 'zod';
import type { ConnectionStage } from './stages';

/**
 * The network path a pipe takes, as its transport sees it (WebRTC: the selected ICE candidate
 * pair). A UI shows it as Syncthing shows Direct/Relayed: a relayed path works everywhere, but
 * through someone's server and usually slower.
 */
export const ConnectionPath = z.object({
  /** 'direct': the peers reach each other's addresses (local, or as a NAT maps them);
   * 'relayed': through a relay server (TURN). */
  kind: z.enum(['direct', 'relayed']),
  /** How this side reaches the relay, for a relayed path. */
  relayProtocol: z.enum(['udp', 'tcp', 'tls']).optional(),
  /** What each end is, in the transport's terms (ICE candidate types: host, srflx, prflx, relay). */
  local: z.string().max(16).optional(),
  remote: z.string().max(16).optional(),
});
export type ConnectionPath = z.infer<typeof ConnectionPath>;

/** Where a pipe reports what happens to it. Core creates the sink before dialling, so frames
 * that arrive before `dial(...).pipe` resolves are not lost. */
export interface PipeSink {
  /** One frame from the remote, in order. The pipe must not reuse the buffer afterwards. */
  frame(data: Uint8Array): void;
  /** The pipe's buffered amount fell to or below its low-water mark: core resumes sending. */
  drain(): void;
  /** The pipe ended (remote close, local close, or failure). Called at most once; `error` is
   * set only when the pipe ended abnormally. */
  closed(error?: Error): void;
  /**
   * For a transport with its own secure session (WebRTC's DTLS): what identifies one side of
   * it (for WebRTC, the certificate fingerprints its session description declares: the webrtc
   * plugin's `webRtcBinding`). Report each side once, as soon as it is known and before the
   * first frame: core's handshake then binds each peer's proof of identity to that session, so
   * whoever relays signaling (a broker, say) cannot sit in the middle. Core's sink implements
   * it; a transport without such a session never calls it.
   */
  binding?(side: BindingSide, value: string): void;
  /** The path the pipe takes, once known, and again whenever it changes (an ICE restart, say).
   * Optional: a transport that cannot tell never calls it. */
  path?(path: ConnectionPath): void;
}

/** Ours or the remote's end of a transport's secure session. */
export type BindingSide = 'local' | 'remote';

/** An open byte pipe. */
export interface Pipe {
  /** The largest frame `send` accepts, in bytes. Core chunks anything larger. */
  readonly maxFrameSize: number;
  /** Queue one frame. Throws if the pipe is closed. Must not throw for a frame of at most
   * `maxFrameSize` bytes while open: backpressure is signalled through `bufferedAmount`. */
  send(frame: Uint8Array): void;
  /** Bytes queued locally and not yet handed to the network. Optional: without it core
   * cannot apply backpressure and relies on the transport's own buffering. */
  bufferedAmount?(): number;
  /** The threshold under which the pipe calls `sink.drain()`. Required with `bufferedAmount`. */
  readonly lowWaterMark?: number;
  /** Close the pipe. Idempotent. The sink's `closed()` follows (without an error). */
  close(): void;
}

/** Opaque, JSON-serialisable signaling payload (SDP offer/answer, ICE candidate, ...). */
export type Signal = unknown;

export interface DialOptions {
  /** True on the side that starts the exchange (creates the offer). */
  initiator: boolean;
  sink: PipeSink;
  /** Hand a local signal to signaling for delivery to the remote. */
  sendSignal(signal: Signal): void;
  /** Report progress so a user never watches a silent spinner. */
  stage(stage: ConnectionStage): void;
  /** Aborting fails the dial (if still pending) and closes the pipe. */
  abort: AbortSignal;
  /** When false, the transport must emit one complete signal per side (no trickle ICE): used by
   * signaling methods that move signals by hand. Default true. */
  trickle?: boolean;
}

export interface Dial {
  /** Deliver a signal that came from the remote. Throws a `TransportError` on a signal the
   * transport cannot use. */
  signal(signal: Signal): void;
  /** Resolves once the pipe is open; rejects with a `TransportError` naming the failed stage. */
  readonly pipe: Promise<Pipe>;
}

/**
 * A compact binary form of a transport's complete signals (`trickle: false`), for signaling
 * methods where a person carries them: short codes, QR codes. Lossy where it must be (the
 * WebRTC one keeps three candidates), so only what the transport can still connect with.
 */
export interface SignalCodec {
  /** The compact bytes of a complete local signal, or undefined when this signal has no compact
   * form (the method then carries the signal as it is). */
  compact(signal: Signal): Uint8Array | undefined;
  /** The signal back from `compact`'s bytes, for `Dial.signal`. Throws a `TransportError` on
   * bytes that are not such a signal. */
  expand(bytes: Uint8Array): Signal;
}

/** A transport that needs raw signals exchanged (WebRTC, for example). */
export interface Transport {
  readonly name: string;
  readonly description: string;
  dial(options: DialOptions): Dial;
  /** Since host API 2.2.0. */
  readonly signalCodec?: SignalCodec;
}
