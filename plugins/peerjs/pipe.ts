/**
 * A PeerJS DataConnection as a WhatNext pipe: the webrtc plugin's pipe (stages, bindings, the
 * ready message, frames, backpressure), fed by the connection's public events, and closed the
 * way a data channel should be.
 *
 * - Connections are opened with `serialization: 'raw'` and `reliable: true`. PeerJS defaults
 *   to `reliable: false`, which in 1.5.5 means an *unordered* channel (it maps `reliable` to
 *   `ordered`; retransmissions are never limited); `'binary'` (the default serialization)
 *   BinaryPack-encodes every message, copies it, and splits anything over 16 300 bytes into
 *   chunks. `'raw'` hands the bytes to the data channel untouched.
 * - Frames are written to `dataConnection.dataChannel` directly rather than through
 *   `DataConnection.send`, whose raw path is the same `dataChannel.send` behind a queue that is
 *   polled every 50 ms once 8 MiB are buffered: the pipe's own bound and queue do that job.
 * - `close()`: the local side is closed at once (`sink.closed()`); then, in the background,
 *   the pipe lets the channel's send buffer empty (libwebrtc's `RTCDataChannel.close()`
 *   discards queued messages), closes the data channel (the remote sees a clean close, after
 *   an in-order prefix of the frames sent) and finally the peer connection. Each wait is
 *   bounded by `CLOSE_LINGER_MS`. The flush is best effort: with @roamhq/wrtc the SCTP layer
 *   (dcsctp) holds up to about 2 MiB more that `bufferedAmount` does not report and that
 *   closing discards. Delivery up to a close is what core's close handshake guarantees (close
 *   frame, then waiting for the remote to close).
 */
import { TransportError, describe, type ConnectionStage, type Pipe, type PipeSink } from '@whatnext/core';
import type { DataChannelPipe, WebRtcService } from '../webrtc/service';
import type { DescriptionListener, SessionConnection } from './broker-session';

export interface PipeSettings {
  /** Largest frame accepted by `send` (further capped by what the remote accepts). */
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

/** Bound on each step of a graceful close (buffer emptying, channel closing). */
export const CLOSE_LINGER_MS = 5000;

/**
 * Open the data connection (`connect`, whose descriptions go to the pipe) and resolve with the
 * pipe once it is open; reject with a `TransportError` naming the stage that failed. Throws
 * what `connect` throws.
 */
export function openPipe(
  webrtc: WebRtcService,
  ctx: PipeContext,
  settings: PipeSettings,
  hooks: PipeHooks,
  outgoing: boolean,
  connect: (descriptions: DescriptionListener) => SessionConnection,
): Promise<Pipe> {
  const pipe = new DataConnectionPipe(webrtc, ctx, settings, hooks, outgoing);
  pipe.attach(connect(pipe.pipe));
  return pipe.pipe.opened;
}

class DataConnectionPipe {
  readonly pipe: DataChannelPipe;
  #connection!: SessionConnection;
  #remoteError: TransportError | undefined;
  #released = false;

  constructor(
    webrtc: WebRtcService,
    private readonly ctx: PipeContext,
    settings: PipeSettings,
    private readonly hooks: PipeHooks,
    outgoing: boolean,
  ) {
    this.pipe = webrtc.pipe({
      label: 'PeerJS',
      // We dialed: PeerJS made the data channel on our side.
      creator: outgoing,
      sink: ctx.sink,
      stage: (stage) => ctx.stage(stage),
      reported: 'signaling', // by the method, as the attempt started
      maxFrameSize: settings.maxFrameSize,
      lowWaterMark: settings.lowWaterMark,
      failed: (error) => this.#fail(error),
      close: () => this.#close(),
    });
  }

  attach(connection: SessionConnection): void {
    this.#connection = connection;
    const { conn, failure } = connection;
    this.ctx.abort.addEventListener('abort', this.#onAbort, { once: true });
    failure.addEventListener('abort', this.#onFailure, { once: true });
    if (this.ctx.abort.aborted) queueMicrotask(this.#onAbort);
    else if (failure.aborted) queueMicrotask(this.#onFailure);

    // The pipe follows ICE (stages, and a failure to find a path, which PeerJS can miss: it reads
    // the state as its event comes, and @roamhq/wrtc's getter can still say 'checking' then).
    const pc = conn.peerConnection as RTCPeerConnection | null | undefined;
    if (pc) this.pipe.follow(pc);
    conn.on('open', () => this.pipe.channelOpen(conn.dataChannel));
    conn.on('data', (data: unknown) => this.pipe.receive(data));
    conn.on('error', (error: Error & { type?: string }) => {
      // 'negotiation-failed' is PeerJS's name for ICE failing.
      const wrapped =
        error.type === 'negotiation-failed' && this.pipe.state === 'opening'
          ? this.pipe.noPath()
          : new TransportError(this.pipe.stage, `PeerJS data connection failed: ${error.message || error.type || 'unknown error'}`, { cause: error });
      // After open PeerJS follows an error with 'close': report it there, as the close's cause.
      if (this.pipe.state === 'opening') this.#fail(wrapped);
      else this.#remoteError = wrapped;
    });
    conn.on('close', () => {
      if (this.pipe.state === 'opening') return this.#fail(new TransportError(this.pipe.stage, 'The data connection closed before it opened.'));
      this.#end(this.#remoteError);
    });
  }

  // After open, an aborted attempt (the host stopping) or a failed session (shut down) closes
  // the pipe like `close()`: the remote sees a clean close.
  #onAbort = (): void => {
    if (this.pipe.state !== 'opening') return this.pipe.close();
    const reason: unknown = this.ctx.abort.reason;
    this.#fail(
      reason instanceof TransportError
        ? reason
        : new TransportError(this.pipe.stage, `The connection attempt was cancelled${reason instanceof Error ? `: ${reason.message}` : ''}.`, {
            cause: reason,
          }),
    );
  };

  #onFailure = (): void => {
    if (this.pipe.state !== 'opening') return this.pipe.close();
    const reason: unknown = this.#connection.failure.reason;
    this.#fail(reason instanceof TransportError ? reason : new TransportError(this.pipe.stage, describe(reason), { cause: reason }));
  };

  /** Before open: the dial fails. After open: the pipe ends with the error. */
  #fail(error: TransportError): void {
    if (this.pipe.state !== 'opening') return this.#end(error);
    this.pipe.end(error);
    this.#detach();
    this.#release();
  }

  /** The remote closed, or the connection failed after open. */
  #end(error: TransportError | undefined): void {
    if (this.pipe.state === 'ended') return;
    this.#detach();
    this.#release();
    this.pipe.end(error);
  }

  /** The pipe's `close()`: ended here at once, the channel closed gracefully behind. */
  #close(): void {
    this.#detach();
    this.pipe.end();
    this.#closeGracefully().catch((error: unknown) => this.hooks.log('warn', `closing a PeerJS data connection failed: ${describe(error)}`));
  }

  async #closeGracefully(): Promise<void> {
    const channel = this.#connection.conn.dataChannel as RTCDataChannel | undefined;
    try {
      await this.pipe.flush(CLOSE_LINGER_MS);
      if (channel && channel.readyState === 'open') {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, CLOSE_LINGER_MS);
          timer.unref?.();
          channel.addEventListener('close', () => {
            clearTimeout(timer);
            resolve();
          });
          channel.close();
        });
      }
    } finally {
      this.#release();
    }
  }

  /** Stop listening to PeerJS and to the attempt. */
  #detach(): void {
    this.ctx.abort.removeEventListener('abort', this.#onAbort);
    this.#connection.failure.removeEventListener('abort', this.#onFailure);
    this.#connection.conn.removeAllListeners();
  }

  /** Close the peer connection and let the session forget it. Once. */
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.pipe.release();
    this.#connection.conn.close();
    this.#connection.end();
    this.hooks.onEnd();
  }
}
