/**
 * A PeerJS DataConnection as a WhatNext pipe.
 *
 * - Connections are opened with `serialization: 'raw'` and `reliable: true`. PeerJS defaults
 *   to `reliable: false`, which in 1.5.5 means an *unordered* channel (it maps `reliable` to
 *   `ordered`; retransmissions are never limited); `'binary'` (the default serialization)
 *   BinaryPack-encodes every message, copies it, and splits anything over 16 300 bytes into
 *   chunks. `'raw'` hands the bytes to the data channel untouched.
 * - Frames are written to `dataConnection.dataChannel` directly rather than through
 *   `DataConnection.send`, whose raw path is the same `dataChannel.send` behind a queue that is
 *   polled every 50 ms once 8 MiB are buffered. Writing directly keeps `bufferedAmount()`
 *   exact; the pipe keeps its own overflow queue above 8 MiB because libwebrtc closes a data
 *   channel whose send buffer overflows (16 MiB).
 * - Drain: where the engine implements `bufferedAmountLowThreshold` and `bufferedamountlow`
 *   the pipe uses them. @roamhq/wrtc 0.10.0 implements neither (its RTCDataChannel has no such
 *   property or event), so there the pipe polls `bufferedAmount` every `DRAIN_POLL_MS`, only
 *   while the buffer is above the low-water mark.
 * - The largest frame is the remote's `a=max-message-size` from its SDP (the session reads it
 *   as the offer or answer passes), capped by `maxFrameSize`. Engines also expose it as
 *   `pc.sctp.maxMessageSize`, but with @roamhq/wrtc that getter blocks on the network thread
 *   (0.1 to over 1 ms per read while DTLS is busy), on the way to open.
 * - Likewise every `bufferedAmount` read is a blocking call into the engine, so `send` reads it
 *   only when an upper bound (the last value read plus the bytes sent since) says it matters.
 * - Received frames are the channel's `ArrayBuffer`s wrapped, not copied.
 * - Opening: @roamhq/wrtc can reorder the first messages the side that made the channel (the
 *   dialer) sends (see core's `WEBRTC_ANSWERER_READY`). So the answering side's first message
 *   is that byte, sent as its channel opens, and the dialer's pipe opens only once it came.
 * - `close()`: the local side is closed at once (`sink.closed()`); then, in the background,
 *   the pipe lets the channel's send buffer empty (libwebrtc's `RTCDataChannel.close()`
 *   discards queued messages), closes the data channel (the remote sees a clean close, after
 *   an in-order prefix of the frames sent) and finally the peer connection. Each wait is
 *   bounded by `CLOSE_LINGER_MS`. The flush is best effort: with @roamhq/wrtc the SCTP layer
 *   (dcsctp) holds up to about 2 MiB more that `bufferedAmount` does not report and that
 *   closing discards. Delivery up to a close is what core's close handshake guarantees (close
 *   frame, then waiting for the remote to close).
 */
import type { DataConnection } from 'peerjs';
import { TransportError, WEBRTC_ANSWERER_READY, describe, isWebRtcAnswererReady, type ConnectionStage, type Pipe, type PipeSink } from '../../core';
import type { SessionConnection } from './session';

export interface PipeSettings {
  /** Largest frame accepted by `send` (further capped by the channel's SCTP limit). */
  maxFrameSize: number;
  /** `sink.drain()` fires when the buffered amount falls to this. */
  lowWaterMark: number;
}

export interface PipeContext {
  sink: PipeSink;
  stage(stage: ConnectionStage): void;
  abort: AbortSignal;
}

export interface PipeHooks {
  /** Runs once the connection is finished with (failed, or closed and released). */
  onEnd(): void;
  /** Failures once nobody listens to the pipe any more (during its background close). */
  log(level: 'debug' | 'warn', message: string): void;
}

/** Above this many bytes in the channel's buffer, frames wait in the pipe's own queue. */
export const CHANNEL_BUFFER_LIMIT = 8 * 1024 * 1024;
/** Bound on each step of a graceful close (buffer emptying, channel closing). */
export const CLOSE_LINGER_MS = 5000;
/** How often `bufferedAmount` is polled on engines without `bufferedamountlow`. */
export const DRAIN_POLL_MS = 5;

const STAGES: readonly ConnectionStage[] = ['signaling', 'ice', 'channel'];

/** Above the reliability limits an engine may report for "unlimited" (wrtc reports 65535). */
const UNLIMITED = 65535;

/**
 * Resolve with the pipe once the data channel is open; reject with a `TransportError` naming
 * the stage that failed.
 */
export function openPipe(connection: SessionConnection, ctx: PipeContext, settings: PipeSettings, hooks: PipeHooks): Promise<Pipe> {
  return new Promise<Pipe>((resolve, reject) => {
    new DataConnectionPipe(connection, ctx, settings, hooks, resolve, reject);
  });
}

class DataConnectionPipe implements Pipe {
  readonly lowWaterMark: number;
  #maxFrameSize: number;
  #stage: ConnectionStage = 'signaling';
  /** Dialer: the answering side's first message has come (a wrong one failed the dial). */
  #answererHeard = false;
  /** Dialer: the channel opened, and the pipe on it waits for that message. */
  #waitingChannel: RTCDataChannel | undefined;
  /** No more frames in or out: closed locally, by the remote, or failed. */
  #ended = false;
  #released = false;
  #remoteError: TransportError | undefined;
  #channel: RTCDataChannel | undefined;
  #nativeLow = false;
  #poll: ReturnType<typeof setInterval> | undefined;
  #overflow: Uint8Array[] = [];
  #overflowBytes = 0;
  /** Never below the channel's real `bufferedAmount`: only our sends raise that. */
  #bufferedBound = 0;
  /** Set while a graceful close waits for the buffer to empty. */
  #flushed: (() => void) | undefined;

  constructor(
    private readonly connection: SessionConnection,
    private readonly ctx: PipeContext,
    private readonly settings: PipeSettings,
    private readonly hooks: PipeHooks,
    private readonly resolve: (pipe: Pipe) => void,
    private readonly reject: (error: TransportError) => void,
  ) {
    this.lowWaterMark = settings.lowWaterMark;
    this.#maxFrameSize = settings.maxFrameSize;
    const { conn, failure } = connection;
    ctx.abort.addEventListener('abort', this.#onAbort, { once: true });
    failure.addEventListener('abort', this.#onFailure, { once: true });
    if (ctx.abort.aborted) queueMicrotask(this.#onAbort);
    else if (failure.aborted) queueMicrotask(this.#onFailure);

    conn.on('iceStateChanged', (state: RTCIceConnectionState) => {
      if (state === 'checking') this.#advance('ice');
      else if (state === 'connected' || state === 'completed') this.#advance('channel');
    });
    conn.on('open', () => this.#open(conn));
    conn.on('data', (data: unknown) => this.#receive(data));
    conn.on('error', (error: Error & { type?: string }) => {
      const stage: ConnectionStage = error.type === 'negotiation-failed' ? 'ice' : this.#stage;
      const wrapped = new TransportError(stage, `PeerJS data connection failed: ${error.message || error.type || 'unknown error'}`, { cause: error });
      // After open PeerJS follows an error with 'close': report it there, as the close's cause.
      if (this.#opened) this.#remoteError = wrapped;
      else this.#fail(wrapped);
    });
    conn.on('close', () => {
      if (this.#ended) return;
      if (!this.#opened) return this.#fail(new TransportError(this.#stage, 'The data connection closed before it opened.'));
      this.#end(this.#remoteError);
    });
  }

  // --- Pipe ----------------------------------------------------------------------------------

  /** The pipe was handed out: from then on a failure ends it rather than the dial. */
  get #opened(): boolean {
    return this.#channel !== undefined;
  }

  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }

  send(frame: Uint8Array): void {
    const channel = this.#channel;
    if (this.#ended || !channel) throw new TransportError('channel', 'The PeerJS pipe is closed.');
    if (frame.byteLength > this.#maxFrameSize) {
      throw new TransportError('channel', `A frame of ${frame.byteLength} bytes is larger than this pipe's maximum of ${this.#maxFrameSize}.`);
    }
    const fits = (buffered: number) => buffered + frame.byteLength <= CHANNEL_BUFFER_LIMIT;
    if (this.#overflow.length > 0 || !(fits(this.#bufferedBound) || fits(this.#channelBuffered()))) {
      const copy = frame.slice(); // the caller may reuse its buffer once send returns
      this.#overflow.push(copy);
      this.#overflowBytes += copy.byteLength;
    } else {
      this.#write(channel, frame);
      this.#bufferedBound += frame.byteLength;
    }
    // Possibly above the low-water mark: the watch reads the real amount and drains if not.
    if (this.#bufferedBound + this.#overflowBytes > this.lowWaterMark) this.#watchBuffer();
  }

  bufferedAmount(): number {
    return this.#channelBuffered() + this.#overflowBytes;
  }

  /** Hand a frame to the channel. Its readyState leaves 'open' a few milliseconds before its
   * 'close' event comes, and `send` throws meanwhile: say so plainly. */
  #write(channel: RTCDataChannel, frame: Uint8Array): void {
    try {
      channel.send(frame as Uint8Array<ArrayBuffer>);
    } catch (error) {
      throw new TransportError('channel', `The data channel is ${channel.readyState}: the frame was not sent (${describe(error)}).`, { cause: error });
    }
  }

  /** The channel's real buffered amount (a blocking engine call); refreshes the bound. */
  #channelBuffered(): number {
    this.#bufferedBound = this.#channel?.bufferedAmount ?? 0;
    return this.#bufferedBound;
  }

  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#detach();
    this.ctx.sink.closed();
    this.#closeGracefully().catch((error: unknown) => this.hooks.log('warn', `closing a PeerJS data connection failed: ${describe(error)}`));
  }

  // --- Opening -------------------------------------------------------------------------------

  #advance(next: ConnectionStage): void {
    const to = STAGES.indexOf(next);
    for (let i = STAGES.indexOf(this.#stage) + 1; i <= to; i++) {
      this.#stage = STAGES[i]!;
      this.ctx.stage(this.#stage);
    }
  }

  #open(conn: DataConnection): void {
    if (this.#ended) return;
    const dc = conn.dataChannel;
    this.#advance('channel');
    const limited = (value: number | null | undefined) => value !== null && value !== undefined && value < UNLIMITED;
    if (!dc.ordered || limited(dc.maxRetransmits) || limited(dc.maxPacketLifeTime)) {
      return this.#fail(new TransportError('channel', 'The remote opened an unordered or partially reliable data channel; WhatNext needs an ordered, reliable one.'));
    }
    if (!this.connection.outgoing) {
      try {
        this.#write(dc, WEBRTC_ANSWERER_READY);
      } catch (error) {
        return this.#fail(error as TransportError);
      }
      this.#bufferedBound += WEBRTC_ANSWERER_READY.byteLength;
    } else if (!this.#answererHeard) {
      this.#waitingChannel = dc;
      return;
    }
    this.#ready(dc);
  }

  #ready(dc: RTCDataChannel): void {
    this.#channel = dc;
    this.#maxFrameSize = Math.min(this.settings.maxFrameSize, this.connection.remoteMaxMessageSize ?? Infinity);
    this.#nativeLow = 'bufferedAmountLowThreshold' in dc;
    if (this.#nativeLow) {
      dc.bufferedAmountLowThreshold = this.lowWaterMark;
      dc.addEventListener('bufferedamountlow', this.#onLow);
    }
    this.resolve(this);
  }

  #receive(data: unknown): void {
    if (this.#ended) return;
    if (this.connection.outgoing && !this.#answererHeard) return this.#onAnswererReady(data);
    if (data instanceof ArrayBuffer) this.ctx.sink.frame(new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) this.ctx.sink.frame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else this.#fail(new TransportError('channel', 'The remote sent a text message; this pipe carries binary frames only.'));
  }

  /** Dialer: the answering side's first message, which may come before or after 'open'. */
  #onAnswererReady(data: unknown): void {
    this.#answererHeard = true;
    const channel = this.#waitingChannel;
    this.#waitingChannel = undefined;
    if (!isWebRtcAnswererReady(data)) {
      return this.#fail(new TransportError('channel', 'The answering side did not start with the ready message a WhatNext PeerJS pipe sends first.'));
    }
    if (channel) this.#ready(channel);
  }

  // --- Backpressure --------------------------------------------------------------------------

  #watchBuffer(): void {
    if (this.#nativeLow || this.#poll) return;
    this.#poll = setInterval(this.#onLow, DRAIN_POLL_MS);
    this.#poll.unref?.();
  }

  #onLow = (): void => {
    const channel = this.#channel;
    if (!channel) return;
    try {
      while (this.#overflow.length > 0 && this.#channelBuffered() + this.#overflow[0]!.byteLength <= CHANNEL_BUFFER_LIMIT) {
        const frame = this.#overflow.shift()!;
        this.#overflowBytes -= frame.byteLength;
        this.#write(channel, frame);
      }
    } catch (error) {
      // On a timer or an engine event: thrown from here it would end the process.
      return this.#cannotSend(channel, error as TransportError);
    }
    const buffered = this.bufferedAmount();
    if (this.#flushed) {
      if (buffered === 0) this.#flushed();
      return;
    }
    if (buffered <= this.lowWaterMark) {
      this.#stopPolling();
      if (!this.#ended) this.ctx.sink.drain();
    }
  };

  /** Queued frames can no longer go out. A channel on its way to closed ends the pipe with its
   * 'close' (cleanly, if the remote closed it); one still open failed, and the pipe ends with
   * that. A graceful close stops waiting for the queue either way. */
  #cannotSend(channel: RTCDataChannel, error: TransportError): void {
    this.#stopPolling();
    this.#overflow = [];
    this.#overflowBytes = 0;
    if (this.#flushed) this.#flushed();
    else if (channel.readyState === 'open') this.#fail(error);
  }

  #stopPolling(): void {
    clearInterval(this.#poll);
    this.#poll = undefined;
  }

  // --- Ending --------------------------------------------------------------------------------

  // After open, an aborted attempt (the host stopping) or a failed session (shut down) closes
  // the pipe like `close()`: the remote sees a clean close.
  #onAbort = (): void => {
    if (this.#opened) return this.close();
    const reason: unknown = this.ctx.abort.reason;
    this.#fail(
      reason instanceof TransportError
        ? reason
        : new TransportError(this.#stage, `The connection attempt was cancelled${reason instanceof Error ? `: ${reason.message}` : ''}.`, { cause: reason }),
    );
  };

  #onFailure = (): void => {
    if (this.#opened) return this.close();
    const reason: unknown = this.connection.failure.reason;
    this.#fail(reason instanceof TransportError ? reason : new TransportError(this.#stage, describe(reason), { cause: reason }));
  };

  /** Stop listening to PeerJS and to the attempt. */
  #detach(): void {
    this.ctx.abort.removeEventListener('abort', this.#onAbort);
    this.connection.failure.removeEventListener('abort', this.#onFailure);
    this.connection.conn.removeAllListeners();
  }

  /** Before open: reject the dial. After open: end the pipe with the error. */
  #fail(error: TransportError): void {
    if (this.#ended) return;
    if (this.#opened) return this.#end(error);
    this.#ended = true;
    this.#detach();
    this.#release();
    // The channel opened and the dial still waits: the likeliest cause is a remote that does not send it.
    if (this.#waitingChannel) {
      error = new TransportError(error.stage, `${error.message} (The channel was open, but the answering side never sent its ready message.)`, { cause: error });
    }
    this.reject(error);
  }

  /** The remote closed, or the connection failed after open. */
  #end(error: TransportError | undefined): void {
    this.#ended = true;
    this.#detach();
    this.#release();
    this.ctx.sink.closed(error);
  }

  async #closeGracefully(): Promise<void> {
    const channel = this.#channel;
    try {
      if (channel && channel.readyState === 'open' && this.bufferedAmount() > 0) {
        await this.#waitFor((done) => {
          this.#flushed = done;
          channel.addEventListener('close', done); // the remote closed meanwhile: nothing to flush
          if (this.#nativeLow) channel.bufferedAmountLowThreshold = 0;
          else this.#watchBuffer();
        });
      }
      if (channel && channel.readyState === 'open') {
        await this.#waitFor((done) => {
          channel.addEventListener('close', done);
          channel.close();
        });
      }
    } finally {
      this.#release();
    }
  }

  /** Resolve when `start`'s callback is called, or after `CLOSE_LINGER_MS`. */
  #waitFor(start: (done: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_LINGER_MS);
      timer.unref?.();
      start(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Close the peer connection and let the session forget it. Once. */
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#stopPolling();
    this.#flushed = undefined;
    this.#channel?.removeEventListener('bufferedamountlow', this.#onLow);
    this.#overflow = [];
    this.#overflowBytes = 0;
    this.connection.conn.close();
    this.connection.end();
    this.hooks.onEnd();
  }
}
