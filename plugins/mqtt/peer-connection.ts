/**
 * One side of one WebRTC connection, made with the webrtc plugin's engine, ICE servers and pipe.
 * Signals are non-trickle: each side sends one complete description once its candidates are
 * gathered, so an attempt costs exactly one message each way through the broker (an answer is
 * never sent before approval, so nothing of the approving side's addresses leaves before a yes).
 *
 * The dialing side makes the data channel and the offer; the other answers. `close()` ends the
 * pipe here at once, then lets the channel's buffer empty, closes the channel (the remote sees a
 * clean close) and the peer connection, each wait bounded by `CLOSE_LINGER_MS`.
 */
import { TransportError, describe, type AttemptContext } from '../../core';
import type { DataChannelPipe, WebRtcService } from '../webrtc/service';

/** Bound on each step of a graceful close, and on gathering candidates (after which the
 * description goes with those gathered so far: a slow STUN server costs its candidates only). */
export const CLOSE_LINGER_MS = 5000;
export const GATHER_LIMIT_MS = 5000;

export interface PipeSettings {
  maxFrameSize: number;
  lowWaterMark: number;
}

export interface RtcSide {
  readonly pipe: DataChannelPipe;
  /** Our complete description, once gathered (offer or answer). */
  readonly local: Promise<string>;
  /** The remote's description: the answer (dialer) or the offer (answering side). */
  remote(sdp: string): Promise<void>;
  /** Fail the dial (before open) with `error`, closing everything. */
  fail(error: TransportError): void;
}

/**
 * Start one side; never throws (a failure is the pipe's `opened` rejecting). `remoteNonce` (the inviter's from the link, or the dialer's from its offer) is
 * handed to core once our binding is reported: our proof for it is made over our DTLS session
 * while the channel connects, and rides in our first hello.
 */
export function startSide(
  webrtc: WebRtcService,
  ctx: AttemptContext,
  settings: PipeSettings,
  dialer: boolean,
  remoteNonce: string | undefined,
  log: (level: 'debug' | 'warn', message: string) => void,
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
    const local = Promise.reject(error);
    local.catch(() => undefined);
    return { pipe, local, fail: () => undefined, remote: async () => undefined };
  }
  pipe.follow(pc);
  ctx.abort.addEventListener('abort', onAbort, { once: true });
  let resolveAnswerSdp: ((sdp: string) => void) | undefined;
  let local: Promise<string>;
  if (dialer) {
    // Ordered and reliable: what the pipe requires of a channel.
    wire(pc.createDataChannel('whatnext', { ordered: true }));
    local = pc.createOffer().then((offer) => describeLocal(offer));
  } else {
    pc.ondatachannel = (event: RTCDataChannelEvent) => {
      if (!channel) wire(event.channel);
    };
    // Made once the offer is applied.
    local = new Promise<string>((resolve) => (resolveAnswerSdp = resolve));
  }

  async function describeLocal(description: RTCSessionDescriptionInit): Promise<string> {
    await pc.setLocalDescription(description);
    await gathered(pc);
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new TransportError('signaling', 'MQTT: the WebRTC engine made no local description.');
    pipe.description('local', sdp);
    return sdp;
  }

  local.catch((error: unknown) => fail(asTransportError(error, pipe.stage)));
  if (ctx.abort.aborted) queueMicrotask(onAbort);

  return {
    pipe,
    local,
    fail,
    async remote(sdp: string) {
      if (pipe.state !== 'opening') return;
      try {
        pipe.description('remote', sdp);
        await pc.setRemoteDescription({ type: dialer ? 'answer' : 'offer', sdp });
        if (!dialer) resolveAnswerSdp!(await describeLocal(await pc.createAnswer()));
      } catch (error) {
        fail(asTransportError(error, 'signaling', `MQTT: the remote's description was refused: ${describe(error)}`));
      }
    },
  };
}

function asTransportError(error: unknown, stage: TransportError['stage'], message?: string): TransportError {
  if (error instanceof TransportError) return error;
  return new TransportError(stage, message ?? `MQTT: ${describe(error)}`, { cause: error });
}

/** Resolves once the peer connection gathered its candidates, or after `GATHER_LIMIT_MS`. */
function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      pc.removeEventListener('icecandidate', onCandidate);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    // A null candidate is the end of gathering on engines that skip the state event.
    const onCandidate = (event: Event) => {
      if (!(event as RTCPeerConnectionIceEvent).candidate) done();
    };
    const timer = setTimeout(done, GATHER_LIMIT_MS);
    timer.unref?.();
    pc.addEventListener('icegatheringstatechange', check);
    pc.addEventListener('icecandidate', onCandidate);
  });
}
