/**
 * One dial: a simple-peer instance on the webrtc plugin's engine, from the first signal to the
 * pipe's end. The session's state is its pipe's:
 *
 *   opening ──connect (+ ready)──▶ open ──close()/abort──▶ closing ──▶ ended
 *      │                            └──remote close / failure──────────▶ ended
 *      └──failure / abort──▶ ended (pipe rejected with a TransportError naming the stage)
 *
 * The pipe is the webrtc plugin's (stages in order, bindings, the ready message, frames and
 * backpressure, and the peer connection's ICE: the stages it moves, a failure to find a path
 * explained); the session feeds it what simple-peer and the peer connection report. Stages:
 * 'signaling' from the start; 'ice' when ICE starts checking; 'channel' when ICE has a path
 * (DTLS and the data channel follow). simple-peer always runs with trickle on; without trickle,
 * `CompleteSignal` turns its trickled output into one complete description.
 *
 * Closing: `close()` closes the data channel (an SCTP stream reset the remote sees as a plain
 * channel close) and lets simple-peer tear the peer connection down when the channel reports
 * closed, so the remote always learns of the close through the channel first; both sinks then
 * see `closed()` without an error. If the remote does not confirm within CLOSE_TIMEOUT_MS the
 * peer is destroyed anyway.
 */
import { createRequire } from 'node:module';
import type SimplePeer from 'simple-peer';
import { TransportError, describe, type ConnectionStage, type DialOptions, type Pipe } from '@whatnext/core';
import type { ChannelLike, DataChannelPipe, WebRtcEngine, WebRtcService } from '../webrtc/service';
import { CompleteSignal } from './gathering';
import type { SimplePeerOptions } from './options';
import { parseSignal, toWireSignal, type WireSignal } from './signals';

/** A remote may trickle this many candidates per dial; more is abuse. */
export const MAX_REMOTE_CANDIDATES = 256;
/** How long a local close waits for the remote to confirm the data channel's close. */
export const CLOSE_TIMEOUT_MS = 1_000;
/** Period of the peer connection state re-read (see #start). */
export const STATE_POLL_MS = 250;

/** simple-peer's internals this session reads (typed here, since its typings omit them). */
interface PeerInternals {
  _pc: RTCPeerConnection | null;
  _channel: (RTCDataChannel & ChannelLike) | null;
}

/** simple-peer (and the stream modules under it) is loaded by the first dial, not at start: a
 * session that never connects does not carry it. Synchronous, as `dial()` is. */
let loaded: typeof SimplePeer | undefined;
function simplePeerClass(): typeof SimplePeer {
  return (loaded ??= createRequire(import.meta.url)('simple-peer') as typeof SimplePeer);
}

export class PeerSession {
  readonly pipe: Promise<Pipe>;
  /** Resolves once the session has released everything (peer connection closed). */
  readonly ended: Promise<void>;

  readonly #pipe: DataChannelPipe;
  #peer: (SimplePeer.Instance & PeerInternals) | undefined;
  #gather: CompleteSignal | undefined;
  #remoteDescription = false;
  #remoteCandidates = 0;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #statePoll: ReturnType<typeof setInterval> | undefined;
  #markEnded!: () => void;
  readonly #unlisten: (() => void)[] = [];
  readonly #trickle: boolean;

  constructor(
    private readonly webrtc: WebRtcService,
    private readonly config: SimplePeerOptions,
    private readonly options: DialOptions,
  ) {
    this.#trickle = options.trickle ?? true;
    this.#pipe = webrtc.pipe({
      label: 'simple-peer',
      creator: options.initiator,
      sink: options.sink,
      stage: options.stage,
      maxFrameSize: config.maxFrameSize,
      failed: (error) => (this.#pipe.state === 'opening' ? this.#fail(error) : this.#end(error)),
      close: () => this.#close(),
    });
    this.pipe = this.#pipe.opened;
    this.ended = new Promise<void>((resolve) => (this.#markEnded = resolve));
    if (options.abort.aborted) {
      this.#fail(this.#dialError('signaling', 'the dial was aborted before it started'));
      return;
    }
    const onAbort = () => this.#onAbort();
    options.abort.addEventListener('abort', onAbort, { once: true });
    this.#unlisten.push(() => options.abort.removeEventListener('abort', onAbort));
    this.#start();
  }

  /** A signal from the remote. Throws a TransportError if it is unusable. */
  signal(raw: unknown): void {
    const signal = parseSignal(raw);
    // Late but well-formed signals (a trickled candidate after the pipe closed) are harmless.
    if (this.#pipe.state === 'ended' || this.#pipe.state === 'closing' || !this.#peer) return;
    this.#admit(signal);
    if (signal.type !== 'candidate') this.#pipe.description('remote', signal.sdp);
    try {
      this.#peer.signal(signal as SimplePeer.SignalData);
    } catch (error) {
      throw new TransportError('signaling', `simple-peer: the signal could not be applied: ${describe(error)}`, { cause: error });
    }
  }

  /** Close an open pipe (clean close), or fail a pending dial. Used by abort and dispose. */
  shutdown(reason: string): void {
    if (this.#pipe.state === 'opening') this.#fail(this.#dialError(this.#pipe.stage, reason));
    else this.#pipe.close();
  }

  // ---- setup ----------------------------------------------------------------------------------

  #start(): void {
    let engine: WebRtcEngine;
    try {
      engine = this.webrtc.engine();
    } catch (error) {
      this.#fail(this.#dialError('signaling', `the WebRTC engine could not be loaded: ${describe(error)}`, error));
      return;
    }
    const configuration = this.webrtc.configuration();
    let peer: SimplePeer.Instance & PeerInternals;
    try {
      peer = new (simplePeerClass())({
        initiator: this.options.initiator,
        // Always trickle inside: without trickle, CompleteSignal builds the one signal.
        trickle: true,
        // simple-peer starts a timer of this length at the first local candidate and never
        // clears it, not even on destroy: at its 5 s default it kept processes alive for 5 s
        // after every close. It only matters to simple-peer's own non-trickle mode (unused).
        iceCompleteTimeout: 1,
        config: configuration,
        wrtc: engine as unknown as SimplePeer.Options['wrtc'],
      }) as SimplePeer.Instance & PeerInternals;
    } catch (error) {
      this.#fail(this.#dialError('signaling', `the peer connection could not be created: ${describe(error)}`, error));
      return;
    }
    this.#peer = peer;
    peer.on('signal', (data) => this.#onLocalSignal(data));
    peer.on('connect', () => this.#onConnect());
    peer.on('data', (data: Uint8Array) => this.#onData(data));
    peer.on('error', (error: Error & { code?: string }) => this.#onPeerError(error));
    peer.on('close', () => this.#onPeerClose());

    const pc = peer._pc;
    if (!pc) return; // the constructor failed: simple-peer reports it through 'error'
    this.#pipe.follow(pc);
    const checkStates = () => {
      this.#onIceState(pc.iceConnectionState);
      this.#onConnectionState(pc.connectionState);
      if (pc.iceGatheringState === 'complete') this.#gather?.complete();
    };
    this.#listen(pc, 'iceconnectionstatechange', checkStates);
    this.#listen(pc, 'connectionstatechange', checkStates);
    // @roamhq/wrtc's state events carry no state: listeners read the getters, on a later
    // tick, and the getters can lag the event (seen on a loaded machine: the last event, ICE
    // going 'failed', read 'checking', and no later event came). Re-read the states
    // periodically so a terminal state (or the end of gathering) is never missed.
    this.#statePoll = setInterval(checkStates, STATE_POLL_MS);
    if (!this.#trickle) {
      this.#gather = new CompleteSignal({
        timeoutMs: this.config.gatherTimeoutMs,
        localSdp: () => pc.localDescription?.sdp || undefined,
        send: (signal) => this.#sendSignal(signal),
      });
      const onGathering = () => {
        if (pc.iceGatheringState === 'complete') this.#gather?.complete();
      };
      this.#listen(pc, 'icegatheringstatechange', onGathering);
      // Some engines only report the end of gathering as a null candidate.
      this.#listen(pc, 'icecandidate', (event) => {
        if (!(event as RTCPeerConnectionIceEvent).candidate) this.#gather?.complete();
      });
    }
  }

  #listen(target: EventTarget, type: string, listener: (event: Event) => void): void {
    target.addEventListener(type, listener);
    this.#unlisten.push(() => target.removeEventListener(type, listener));
  }

  // ---- signals ----------------------------------------------------------------------------------

  #admit(signal: WireSignal): void {
    if (signal.type === 'candidate') {
      if (++this.#remoteCandidates > MAX_REMOTE_CANDIDATES) {
        throw new TransportError('signaling', `simple-peer: the remote sent more than ${MAX_REMOTE_CANDIDATES} ICE candidates`);
      }
      return;
    }
    const expected = this.options.initiator ? 'answer' : 'offer';
    if (signal.type !== expected) {
      throw new TransportError(
        'signaling',
        `simple-peer: the ${this.options.initiator ? 'initiating' : 'answering'} side expects an ${expected}, not an ${signal.type}`,
      );
    }
    if (this.#remoteDescription) throw new TransportError('signaling', `simple-peer: a second ${signal.type} arrived; renegotiation is not supported`);
    this.#remoteDescription = true;
  }

  #onLocalSignal(data: unknown): void {
    if (this.#pipe.state !== 'opening' && this.#pipe.state !== 'open') return;
    const signal = toWireSignal(data);
    if (!signal) return; // renegotiation requests: this transport never renegotiates
    if (signal.type !== 'candidate') this.#pipe.description('local', signal.sdp);
    if (this.#trickle) return this.#sendSignal(signal);
    if (signal.type === 'candidate') this.#gather?.candidate(signal.candidate);
    else this.#gather?.description(signal);
  }

  #sendSignal(signal: WireSignal): void {
    if (this.#pipe.state !== 'opening' && this.#pipe.state !== 'open') return;
    if (signal.type === 'candidate' && !signal.candidate.candidate) return;
    try {
      this.options.sendSignal(signal);
    } catch (error) {
      if (this.#pipe.state === 'opening') this.#fail(this.#dialError('signaling', `the signaling method could not send a signal: ${describe(error)}`, error));
    }
  }

  // ---- progress -------------------------------------------------------------------------------

  /** While opening, the pipe follows ICE (stages, no path); here what comes after. */
  #onIceState(state: RTCIceConnectionState): void {
    if (state === 'failed') this.#lost('ICE failed');
  }

  /** The open pipe's connection failed for good (no ICE restarts here). */
  #lost(why: string): void {
    if (this.#pipe.state === 'open') this.#end(new TransportError('channel', `simple-peer: the connection to the remote was lost (${why})`));
  }

  #onConnectionState(state: RTCPeerConnectionState): void {
    if (state !== 'failed') return;
    // Before ICE connected, the pipe explains it (no path); after, it is the secure channel.
    if (this.#pipe.state === 'opening' && this.#pipe.stage === 'channel')
      this.#fail(this.#dialError('channel', 'the secure channel (DTLS) could not be set up'));
    else this.#lost('the peer connection failed');
  }

  #onConnect(): void {
    if (this.#pipe.state !== 'opening') return;
    const channel = this.#peer!._channel;
    if (!channel || channel.readyState !== 'open') {
      this.#fail(this.#dialError('channel', 'the data channel is not open after connecting'));
      return;
    }
    this.#pipe.channelOpen(channel);
  }

  #onData(data: Uint8Array): void {
    this.#pipe.receive(data);
  }

  // ---- endings ----------------------------------------------------------------------------------

  #onPeerError(error: Error & { code?: string }): void {
    if (this.#pipe.state === 'opening') {
      const stage = stageOfError(error.code) ?? (this.#pipe.stage === 'signaling' && error.code === 'ERR_CONNECTION_FAILURE' ? 'ice' : this.#pipe.stage);
      if (error.code === 'ERR_ICE_CONNECTION_FAILURE' || (error.code === 'ERR_CONNECTION_FAILURE' && stage === 'ice')) return this.#fail(this.#pipe.noPath());
      const message = error.code === 'ERR_CONNECTION_FAILURE' ? 'the secure channel (DTLS) could not be set up' : explainError(error);
      this.#fail(this.#dialError(stage, message, error));
    } else if (this.#pipe.state === 'open') {
      const channel = this.#peer?._channel;
      // The remote closed the channel and the engine reported the teardown as an error:
      // that is still the remote's clean close.
      const remoteClosing = error.code === 'ERR_DATA_CHANNEL' && channel && (channel.readyState === 'closing' || channel.readyState === 'closed');
      this.#end(remoteClosing ? undefined : new TransportError('channel', `simple-peer: ${explainError(error)}`, { cause: error }));
    }
    // 'closing': our own close; whatever the engine reports on the way is not an error.
  }

  #onPeerClose(): void {
    if (this.#pipe.state === 'opening') this.#fail(this.#dialError(this.#pipe.stage, 'the peer connection closed before the data channel opened'));
    else this.#end(undefined);
  }

  #onAbort(): void {
    this.shutdown('the dial was aborted');
  }

  /** The pipe's `close()`: it has stopped sending. */
  #close(): void {
    const peer = this.#peer!;
    const channel = peer._channel;
    if (channel && channel.readyState === 'open') {
      try {
        channel.close(); // simple-peer destroys the peer when the channel reports closed
        this.#closeTimer = setTimeout(() => peer.destroy(), CLOSE_TIMEOUT_MS);
        return;
      } catch {
        // fall through: tear down at once
      }
    }
    peer.destroy();
  }

  #dialError(stage: ConnectionStage, message: string, cause?: unknown): TransportError {
    return new TransportError(stage, `simple-peer: ${stage} failed: ${message}`, cause === undefined ? undefined : { cause });
  }

  /** The dial failed: the pipe rejects with `error`, and everything is released. */
  #fail(error: TransportError): void {
    if (this.#pipe.state !== 'opening') return;
    this.#pipe.end(error);
    this.#release();
  }

  /** The open pipe ended: release everything, then tell the sink (exactly once). */
  #end(error: Error | undefined): void {
    if (this.#pipe.state === 'ended' || this.#pipe.state === 'opening') return;
    this.#release();
    this.#pipe.end(error);
  }

  #release(): void {
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    if (this.#statePoll !== undefined) clearInterval(this.#statePoll);
    this.#statePoll = undefined;
    this.#gather?.dispose();
    this.#pipe.release();
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
    const peer = this.#peer;
    if (peer && !peer.destroyed) {
      // destroy() finishes in a microtask and then emits 'close'; wait for it so `ended`
      // means the peer connection is really closed.
      peer.once('close', () => this.#markEnded());
      peer.destroy();
    } else {
      this.#markEnded();
    }
  }
}

function stageOfError(code: string | undefined): ConnectionStage | undefined {
  switch (code) {
    case 'ERR_WEBRTC_SUPPORT':
    case 'ERR_PC_CONSTRUCTOR':
    case 'ERR_CREATE_OFFER':
    case 'ERR_CREATE_ANSWER':
    case 'ERR_SET_LOCAL_DESCRIPTION':
    case 'ERR_SET_REMOTE_DESCRIPTION':
    case 'ERR_ADD_ICE_CANDIDATE':
    case 'ERR_SIGNALING':
      return 'signaling';
    case 'ERR_ICE_CONNECTION_FAILURE':
      return 'ice';
    case 'ERR_DATA_CHANNEL':
      return 'channel';
    default:
      return undefined;
  }
}

function explainError(error: Error & { code?: string }): string {
  switch (error.code) {
    case 'ERR_SET_REMOTE_DESCRIPTION':
      return `the remote's session description was refused: ${error.message}`;
    case 'ERR_ADD_ICE_CANDIDATE':
      return `a remote ICE candidate was refused: ${error.message}`;
    case 'ERR_CREATE_OFFER':
    case 'ERR_CREATE_ANSWER':
    case 'ERR_SET_LOCAL_DESCRIPTION':
      return `the local session description could not be made: ${error.message}`;
    case 'ERR_ICE_CONNECTION_FAILURE':
      return 'ICE lost the network path to the remote';
    case 'ERR_CONNECTION_FAILURE':
      return 'the connection failed';
    case 'ERR_DATA_CHANNEL':
      return `the data channel failed: ${error.message}`;
    default:
      return error.message;
  }
}
