/**
 * One side of one WebRTC connection, made with the webrtc plugin's engine, ICE servers and pipe.
 * Signals trickle: each side hands out its description as soon as it is made and then each
 * candidate as it is gathered (a complete description would wait for the slowest candidate, a
 * TCP one the engine gathers long after the UDP ones). The answering side is only started once
 * core approved the request, so nothing of its addresses leaves before a yes.
 *
 * The dialing side makes the data channel and the offer; the other answers. `close()` ends the
 * pipe here at once, then lets the channel's buffer empty, closes the channel (the remote sees a
 * clean close) and the peer connection, each wait bounded by `CLOSE_LINGER_MS`.
 */
import { TransportError, describe, type AttemptContext } from '@whatnext/core';
import type { DataChannelPipe, WebRtcService } from '../webrtc/service';
import type { IceCandidate } from './messages';

/** Bound on each step of a graceful close. */
export const CLOSE_LINGER_MS = 5000;
/** Candidates sent, and taken, per attempt; more are dropped (a peer has a few per network
 * interface and ICE server, far fewer than this). */
export const MAX_CANDIDATES = 64;

export interface PipeSettings {
  maxFrameSize: number;
  lowWaterMark: number;
}

/** Where a side's signals go, in this order: the description, then each candidate. */
export interface LocalSignals {
  description(sdp: string): void;
  candidate(candidate: IceCandidate): void;
}

export interface RtcSide {
  readonly pipe: DataChannelPipe;
  /** The remote's description: the answer (dialer) or the offer (answering side). */
  remote(sdp: string): Promise<void>;
  /** One of the remote's candidates: applied once the descriptions are (held until then, in
   * order, at most `MAX_CANDIDATES` in all). */
  candidate(candidate: IceCandidate): void;
  /** Fail the dial (before open) with `error`, closing everything. */
  fail(error: TransportError): void;
}

/**
 * Start one side; never throws (a failure is the pipe's `opened` rejecting). `remoteNonce` (the
 * inviter's from the link, or the dialer's from its offer) is handed to core once our binding is
 * reported: our proof for it is made over our DTLS session while the channel connects, and rides
 * in our first hello.
 */
export function startSide(
  webrtc: WebRtcService,
  ctx: AttemptContext,
  settings: PipeSettings,
  dialer: boolean,
  remoteNonce: string | undefined,
  log: (level: 'debug' | 'warn', message: string) => void,
  signals: LocalSignals,
): RtcSide {
  let nonce = remoteNonce;
  let pc: RTCPeerConnection;
  let channel: RTCDataChannel | undefined;
  let released = false;

  const release = () => {
    if (released) return;
    released = true;
    ctx.abort.removeEventListener('abort', onAbort);
    pipe.release();
    if (channel) channel.onopen = channel.onmessage = channel.onclose = channel.onerror = null;
    pc.ondatachannel = null;
    pc.onicecandidate = null;
    pc.close();
  };
  /** Before open the dial fails with `error`; after, the sink hears it as the close's cause. */
  const fail = (error: TransportError) => {
    pipe.end(error);
    release();
  };

  const pipe = webrtc.pipe({
    label: 'MQTT',
    creator: dialer,
    sink: {
      frame: (data) => ctx.sink.frame(data),
      drain: () => ctx.sink.drain(),
      closed: (error) => ctx.sink.closed(error),
      path: (path) => ctx.sink.path?.(path),
      binding: (side, value) => {
        ctx.sink.binding?.(side, value);
        if (side !== 'local' || nonce === undefined) return;
        ctx.handshake.remoteNonce(nonce);
        nonce = undefined;
      },
    },
    stage: (stage) => ctx.stage(stage),
    reported: 'signaling',
    maxFrameSize: settings.maxFrameSize,
    lowWaterMark: settings.lowWaterMark,
    failed: fail,
    close: () => {
      pipe.end();
      closeGracefully().catch((error: unknown) => log('warn', `closing an MQTT-signaled data channel failed: ${describe(error)}`));
    },
  });

  async function closeGracefully(): Promise<void> {
    try {
      await pipe.flush(CLOSE_LINGER_MS);
      const open = channel;
      if (open && open.readyState === 'open') {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, CLOSE_LINGER_MS);
          timer.unref?.();
          open.onclose = () => {
            clearTimeout(timer);
            resolve();
          };
          open.close();
        });
      }
    } finally {
      release();
    }
  }

  // After open, an aborted attempt (the host stopping) closes the pipe like `close()`.
  const onAbort = () => {
    if (pipe.state !== 'opening') return pipe.close();
    const reason: unknown = ctx.abort.reason;
    fail(
      reason instanceof TransportError
        ? reason
        : new TransportError(pipe.stage, `The connection attempt was cancelled${reason instanceof Error ? `: ${reason.message}` : ''}.`, { cause: reason }),
    );
  };

  const wire = (made: RTCDataChannel) => {
    channel = made;
    made.binaryType = 'arraybuffer';
    made.onopen = () => pipe.channelOpen(made);
    made.onmessage = (event: MessageEvent) => pipe.receive(event.data);
    made.onclose = () => {
      if (pipe.state === 'opening') return fail(new TransportError(pipe.stage, 'MQTT: the data channel closed before it opened.'));
      pipe.end();
      release();
    };
  };

  try {
    pc = new (webrtc.engine().RTCPeerConnection)(webrtc.configuration());
  } catch (cause) {
    // Never thrown: a side may be started from a broker message's handler. The dial fails.
    released = true;
    const error = new TransportError('signaling', `Could not start WebRTC: ${describe(cause)}`, { cause });
    pipe.end(error);
    pipe.release();
    return { pipe, fail: () => undefined, remote: async () => undefined, candidate: () => undefined };
  }
  pipe.follow(pc);
  ctx.abort.addEventListener('abort', onAbort, { once: true });

  // Ours: held until our description is out (the engine may gather before its promise settles).
  let described = false;
  let gatheredCount = 0;
  const early: IceCandidate[] = [];
  pc.onicecandidate = (event: RTCPeerConnectionIceEvent) => {
    const found = event.candidate;
    // null (or an empty candidate): the end of gathering, which the remote need not hear of.
    // Once the pipe is open, later ones (the engine's TCP candidates) would serve no one.
    if (!found?.candidate || gatheredCount >= MAX_CANDIDATES || pipe.state !== 'opening') return;
    gatheredCount++;
    const candidate: IceCandidate = {
      candidate: found.candidate,
      sdpMid: found.sdpMid ?? null,
      sdpMLineIndex: found.sdpMLineIndex ?? null,
      ...(found.usernameFragment && { usernameFragment: found.usernameFragment }),
    };
    if (described) signals.candidate(candidate);
    else early.push(candidate);
  };

  // The remote's: held until both descriptions are applied. The answering side takes them only
  // after making its answer: handed in before, they queue on the engine ahead of the answer and
  // delay it.
  let applied = false;
  let takenCount = 0;
  const waiting: IceCandidate[] = [];
  const apply = (candidate: IceCandidate) =>
    pc.addIceCandidate(candidate).catch((error: unknown) => log('debug', `MQTT: a remote candidate was refused: ${describe(error)}`));

  async function describeLocal(description: RTCSessionDescriptionInit): Promise<void> {
    await pc.setLocalDescription(description);
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new TransportError('signaling', 'MQTT: the WebRTC engine made no local description.');
    pipe.description('local', sdp);
    signals.description(sdp);
    described = true;
    for (const candidate of early.splice(0)) signals.candidate(candidate);
  }

  function takeCandidates(): void {
    applied = true;
    for (const candidate of waiting.splice(0)) void apply(candidate);
  }

  if (dialer) {
    // Ordered and reliable: what the pipe requires of a channel.
    wire(pc.createDataChannel('whatnext', { ordered: true }));
    pc.createOffer()
      .then((offer) => describeLocal(offer))
      .catch((error: unknown) => fail(asTransportError(error, pipe.stage)));
  } else {
    pc.ondatachannel = (event: RTCDataChannelEvent) => {
      if (!channel) wire(event.channel);
    };
  }
  if (ctx.abort.aborted) queueMicrotask(onAbort);

  return {
    pipe,
    fail,
    async remote(sdp: string) {
      if (pipe.state !== 'opening') return;
      try {
        pipe.description('remote', sdp);
        await pc.setRemoteDescription({ type: dialer ? 'answer' : 'offer', sdp });
        if (!dialer) await describeLocal(await pc.createAnswer());
        takeCandidates();
      } catch (error) {
        fail(asTransportError(error, 'signaling', `MQTT: the remote's description was refused: ${describe(error)}`));
      }
    },
    candidate(candidate: IceCandidate) {
      if (released) return;
      if (takenCount >= MAX_CANDIDATES) return log('debug', `MQTT: dropped a remote candidate over the ${MAX_CANDIDATES} an attempt takes`);
      takenCount++;
      if (applied) void apply(candidate);
      else waiting.push(candidate);
    },
  };
}

export function asTransportError(error: unknown, stage: TransportError['stage'], message?: string): TransportError {
  if (error instanceof TransportError) return error;
  return new TransportError(stage, message ?? `MQTT: ${describe(error)}`, { cause: error });
}
