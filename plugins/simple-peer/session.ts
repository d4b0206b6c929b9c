/**
 * One dial: a simple-peer instance on the injected engine, from the first signal to the
 * pipe's end.
 *
 *   dialing ──connect──▶ open ──close()/abort──▶ closing ──▶ ended
 *      │                  └──remote close / failure──────────▶ ended
 *      └──failure / abort──▶ ended (pipe rejected with a TransportError naming the stage)
 *
 * Stages: 'signaling' from the start; 'ice' when ICE starts checking; 'channel' when ICE has
 * a path (DTLS and the data channel follow). simple-peer always runs with trickle on; without
 * trickle, `CompleteSignal` turns its trickled output into one complete description.
 *
 * Opening: @roamhq/wrtc can reorder the first messages the initiator sends (see core's
 * `WEBRTC_ANSWERER_READY`). So the answering side's first message is that byte, sent once its
 * channel is open and heard, and the initiator's pipe opens only when it arrives.
 *
 * Closing: `close()` closes the data channel (an SCTP stream reset the remote sees as a plain
 * channel close) and lets simple-peer tear the peer connection down when the channel reports
 * closed, so the remote always learns of the close through the channel first; both sinks then
 * see `closed()` without an error. If the remote does not confirm within CLOSE_TIMEOUT_MS the
 * peer is destroyed anyway.
 */
import SimplePeer from 'simple-peer';
import { TransportError, WEBRTC_ANSWERER_READY, describe, isWebRtcAnswererReady, webRtcBinding, webRtcMaxMessageSize, type BindingSide, type ConnectionStage, type DialOptions, type Pipe } from '../../core';
import { loadDefaultEngine, type WebRtcEngine } from './engine';
import { CompleteSignal } from './gathering';
import { DataChannelPipe, type ChannelLike } from './pipe';
import { parseSignal, toWireSignal, type WireSignal } from './signals';

export interface SessionConfig {
  engine: WebRtcEngine | undefined;
  iceServers: RTCIceServer[];
  maxFrameSize: number;
  gatherTimeoutMs: number;
}

/** A remote may trickle this many candidates per dial; more is abuse. */
export const MAX_REMOTE_CANDIDATES = 256;
/** How long a local close waits for the remote to confirm the data channel's close. */
export const CLOSE_TIMEOUT_MS = 1_000;
/** Period of the peer connection state re-read (see #start). */
export const STATE_POLL_MS = 250;

const STAGE_ORDER: readonly ConnectionStage[] = ['signaling', 'ice', 'channel'];

/** simple-peer's internals this session reads (typed here, since its typings omit them). */
interface PeerInternals {
  _pc: RTCPeerConnection | null;
  _channel: (RTCDataChannel & ChannelLike) | null;
}

type State = 'dialing' | 'open' | 'closing' | 'ended';

export class PeerSession {
  readonly pipe: Promise<Pipe>;
  /** Resolves once the session has released everything (peer connection closed). */
  readonly ended: Promise<void>;

  #state: State = 'dialing';
  #stage: ConnectionStage = 'signaling';
  #peer: (SimplePeer.Instance & PeerInternals) | undefined;
  #pc: RTCPeerConnection | undefined;
  #pipe: DataChannelPipe | undefined;
  #gather: CompleteSignal | undefined;
  #remoteDescription = false;
  /** Initiator: the answering side's first message has come (a wrong one failed the dial). */
  #answererHeard = false;
  /** Initiator: simple-peer connected, and the pipe on this channel waits for that message. */
  #waitingChannel: (RTCDataChannel & ChannelLike) | undefined;
  #remoteCandidates = 0;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #statePoll: ReturnType<typeof setInterval> | undefined;
  #resolvePipe!: (pipe: Pipe) => void;
  #rejectPipe!: (error: Error) => void;
  #markEnded!: () => void;
  readonly #unlisten: (() => void)[] = [];
  readonly #trickle: boolean;

  constructor(
    private readonly config: SessionConfig,
    private readonly options: DialOptions,
  ) {
    this.#trickle = options.trickle ?? true;
    this.pipe = new Promise<Pipe>((resolve, reject) => {
      this.#resolvePipe = resolve;
      this.#rejectPipe = reject;
    });
    this.pipe.catch(() => {}); // a dial nobody awaits must not be an unhandled rejection
    this.ended = new Promise<void>((resolve) => (this.#markEnded = resolve));
    this.#reportStage('signaling');
    if (options.abort.aborted) {
      this.#fail('signaling', 'the dial was aborted before it started');
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
    if (this.#state === 'ended' || this.#state === 'closing' || !this.#peer) return;
    this.#admit(signal);
    if (signal.type !== 'candidate') this.#reportBinding('remote', signal.sdp);
    try {
      this.#peer.signal(signal as SimplePeer.SignalData);
    } catch (error) {
      throw new TransportError('signaling', `simple-peer: the signal could not be applied: ${describe(error)}`, { cause: error });
    }
  }

  /** Close an open pipe (clean close), or fail a pending dial. Used by abort and dispose. */
  shutdown(reason: string): void {
    if (this.#state === 'dialing') this.#fail(this.#stage, reason);
    else this.#close();
  }

  // ---- setup ----------------------------------------------------------------------------------

  #start(): void {
    let engine: WebRtcEngine;
    try {
      engine = this.config.engine ?? loadDefaultEngine();
    } catch (error) {
      this.#fail('signaling', `the WebRTC engine could not be loaded: ${describe(error)}`, error);
      return;
    }
    let peer: SimplePeer.Instance & PeerInternals;
    try {
      peer = new SimplePeer({
        initiator: this.options.initiator,
        // Always trickle inside: without trickle, CompleteSignal builds the one signal.
        trickle: true,
        // simple-peer starts a timer of this length at the first local candidate and never
        // clears it, not even on destroy: at its 5 s default it kept processes alive for 5 s
        // after every close. It only matters to simple-peer's own non-trickle mode (unused).
        iceCompleteTimeout: 1,
        config: { iceServers: this.config.iceServers },
        wrtc: engine as unknown as SimplePeer.Options['wrtc'],
      }) as SimplePeer.Instance & PeerInternals;
    } catch (error) {
      this.#fail('signaling', `the peer connection could not be created: ${describe(error)}`, error);
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
    this.#pc = pc;
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
    if (this.#state !== 'dialing' && this.#state !== 'open') return;
    const signal = toWireSignal(data);
    if (!signal) return; // renegotiation requests: this transport never renegotiates
    if (signal.type !== 'candidate') this.#reportBinding('local', signal.sdp);
    if (this.#trickle) return this.#sendSignal(signal);
    if (signal.type === 'candidate') this.#gather?.candidate(signal.candidate);
    else this.#gather?.description(signal);
  }

  /** Each side's DTLS fingerprints, from its description, before any frame can flow. */
  #reportBinding(side: BindingSide, sdp: string): void {
    const binding = webRtcBinding(sdp);
    if (binding !== undefined) this.options.sink.binding?.(side, binding);
  }

  #sendSignal(signal: WireSignal): void {
    if (this.#state !== 'dialing' && this.#state !== 'open') return;
    if (signal.type === 'candidate' && !signal.candidate.candidate) return;
    try {
      this.options.sendSignal(signal);
    } catch (error) {
      if (this.#state === 'dialing') this.#fail('signaling', `the signalling method could not send a signal: ${describe(error)}`, error);
    }
  }

  // ---- progress -------------------------------------------------------------------------------

  #reportStage(stage: ConnectionStage): void {
    this.#stage = stage;
    try {
      this.options.stage(stage);
    } catch {
      // A broken progress listener must not break the dial.
    }
  }

  /** Move forward to `stage`, reporting any stage skipped on the way (events coalesce). */
  #advance(stage: ConnectionStage): void {
    if (this.#state !== 'dialing') return;
    const from = STAGE_ORDER.indexOf(this.#stage);
    const to = STAGE_ORDER.indexOf(stage);
    for (let i = from + 1; i <= to; i++) this.#reportStage(STAGE_ORDER[i]!);
  }

  #onIceState(state: RTCIceConnectionState): void {
    if (state === 'checking') this.#advance('ice');
    else if (state === 'connected' || state === 'completed') this.#advance('channel');
    else if (state === 'failed') {
      if (this.#state === 'dialing') this.#fail('ice', this.#noPath());
      else this.#lost('ICE failed');
    }
  }

  /** The open pipe's connection failed for good (no ICE restarts here). */
  #lost(why: string): void {
    if (this.#state === 'open') this.#end(new TransportError('channel', `simple-peer: the connection to the remote was lost (${why})`));
  }

  #noPath(): string {
    return `no network path to the remote was found${this.config.iceServers.length === 0 ? ' (no STUN/TURN servers are configured)' : ''}`;
  }

  #onConnectionState(state: RTCPeerConnectionState): void {
    if (state === 'connecting') this.#advance('ice');
    else if (state === 'connected') this.#advance('channel');
    else if (state === 'failed') {
      const stage = this.#stage === 'signaling' ? 'ice' : this.#stage;
      if (this.#state === 'dialing') this.#fail(stage, stage === 'ice' ? this.#noPath() : 'the secure channel (DTLS) could not be set up');
      else this.#lost('the peer connection failed');
    }
  }

  #onConnect(): void {
    if (this.#state !== 'dialing') return;
    const channel = this.#peer!._channel;
    if (!channel || channel.readyState !== 'open') {
      this.#fail('channel', 'the data channel is not open after connecting');
      return;
    }
    this.#advance('channel');
    if (!this.options.initiator) {
      try {
        channel.send(WEBRTC_ANSWERER_READY);
      } catch (error) {
        this.#fail('channel', `the data channel refused our first message: ${describe(error)}`, error);
        return;
      }
    } else if (!this.#answererHeard) {
      this.#waitingChannel = channel;
      return;
    }
    this.#openPipe(channel);
  }

  #openPipe(channel: RTCDataChannel & ChannelLike): void {
    this.#state = 'open';
    this.#pipe = new DataChannelPipe(channel, this.options.sink, this.#frameSize(), () => this.#close());
    this.#resolvePipe(this.#pipe);
  }

  /** Initiator: the answering side's first message, which may come before or after 'connect'. */
  #onAnswererReady(data: Uint8Array): void {
    this.#answererHeard = true;
    const channel = this.#waitingChannel;
    this.#waitingChannel = undefined;
    if (!isWebRtcAnswererReady(data)) {
      this.#fail('channel', 'the answering side did not start with the ready message a WhatNext simple-peer pipe sends first');
      return;
    }
    if (channel) this.#openPipe(channel);
  }

  /** The configured frame size, lowered to the largest message the remote accepts. */
  #frameSize(): number {
    const pc = this.#pc as (RTCPeerConnection & { sctp?: { maxMessageSize?: number } | null }) | undefined;
    let remoteMax = pc?.sctp?.maxMessageSize;
    if (!(typeof remoteMax === 'number' && remoteMax > 0)) {
      remoteMax = webRtcMaxMessageSize(pc?.remoteDescription?.sdp ?? '') ?? Infinity;
    }
    return Math.min(this.config.maxFrameSize, remoteMax);
  }

  #onData(data: Uint8Array): void {
    if (this.options.initiator && !this.#answererHeard) {
      if (this.#state === 'dialing') this.#onAnswererReady(data);
      return;
    }
    // Frames may arrive before 'connect' (the remote opened first); none after a local close.
    if (this.#state === 'dialing' || this.#state === 'open') {
      this.options.sink.frame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  }

  // ---- endings ----------------------------------------------------------------------------------

  #onPeerError(error: Error & { code?: string }): void {
    if (this.#state === 'dialing') {
      const stage = stageOfError(error.code) ?? (this.#stage === 'signaling' && error.code === 'ERR_CONNECTION_FAILURE' ? 'ice' : this.#stage);
      let message = explainError(error);
      if (error.code === 'ERR_ICE_CONNECTION_FAILURE' || (error.code === 'ERR_CONNECTION_FAILURE' && stage === 'ice')) message = this.#noPath();
      else if (error.code === 'ERR_CONNECTION_FAILURE') message = 'the secure channel (DTLS) could not be set up';
      this.#fail(stage, message, error);
    } else if (this.#state === 'open') {
      const channel = this.#peer?._channel;
      // The remote closed the channel and the engine reported the teardown as an error:
      // that is still the remote's clean close.
      const remoteClosing = error.code === 'ERR_DATA_CHANNEL' && channel && (channel.readyState === 'closing' || channel.readyState === 'closed');
      this.#end(remoteClosing ? undefined : new TransportError('channel', `simple-peer: ${explainError(error)}`, { cause: error }));
    }
    // 'closing': our own close; whatever the engine reports on the way is not an error.
  }

  #onPeerClose(): void {
    if (this.#state === 'dialing') this.#fail(this.#stage, 'the peer connection closed before the data channel opened');
    else this.#end(undefined);
  }

  #onAbort(): void {
    this.shutdown('the dial was aborted');
  }

  #close(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#pipe?.detach();
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

  #fail(stage: ConnectionStage, message: string, cause?: unknown): void {
    if (this.#state !== 'dialing') return;
    this.#state = 'ended';
    // Connected and still waiting: the likeliest cause is a remote that does not send it.
    if (this.#waitingChannel) message += ' (the channel was open, but the answering side never sent its ready message)';
    this.#rejectPipe(new TransportError(stage, `simple-peer: ${stage} failed: ${message}`, cause === undefined ? undefined : { cause }));
    this.#release();
  }

  /** The open pipe ended: release everything, then tell the sink (exactly once). */
  #end(error: Error | undefined): void {
    if (this.#state === 'ended' || this.#state === 'dialing') return;
    this.#state = 'ended';
    this.#pipe?.detach();
    this.#release();
    this.options.sink.closed(error);
  }

  #release(): void {
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    if (this.#statePoll !== undefined) clearInterval(this.#statePoll);
    this.#statePoll = undefined;
    this.#gather?.dispose();
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
