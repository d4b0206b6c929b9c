/**
 * The one pipe over a WebRTC data channel, for every WebRTC plugin, from the start of a dial to
 * its end. The plugin feeds it what its library reports; the pipe does the rest alike:
 *
 * - Stages: 'signaling' → 'ice' → 'channel', in order, a skipped one still reported (engine
 *   events coalesce), none once open.
 * - Bindings: each side's DTLS fingerprints (`webRtcBinding`) go to the sink once, from the
 *   descriptions as they pass, before any frame. The remote's description also says its largest
 *   message (RFC 8841), which caps `maxFrameSize`; reading `pc.sctp.maxMessageSize` instead
 *   blocks on @roamhq/wrtc's network thread, longest while DTLS is busy.
 * - Opening: @roamhq/wrtc can deliver the first messages of the side that made the channel out
 *   of order (see `WEBRTC_ANSWERER_READY`). So the answering side's first message is that byte,
 *   sent as its channel opens, and the creator's pipe opens only once it came; anything else
 *   first fails the dial at 'channel'. A channel that is unordered or partially reliable fails
 *   it too.
 * - Backpressure: `bufferedAmount()` is the channel's plus the pipe's own queue. Above
 *   `CHANNEL_BUFFER_LIMIT` in the channel, frames wait in that queue: libwebrtc closes a data
 *   channel whose send buffer overflows (16 MiB). Where the engine fires `bufferedamountlow` the
 *   pipe uses it; @roamhq/wrtc 0.10 has neither the event nor `bufferedAmountLowThreshold`, so
 *   there it polls `bufferedAmount` every `DRAIN_POLL_MS`, only while above the low-water mark.
 *   Every `bufferedAmount` read is a blocking call into that engine, so `send` reads it only when
 *   an upper bound (the last value read plus the bytes sent since) says it matters.
 * - ICE (`follow`): while opening, the peer connection's ICE moves the stages, and a failure to
 *   find a path fails the dial at 'ice' saying what is missing and where to set it
 *   (`explainNoPath`: no servers, no relay, a relay that did not work). @roamhq/wrtc's state
 *   getters can lag its events (the last event read 'checking' while the state was 'failed'), so
 *   the states are also read every `STATE_POLL_MS` while opening.
 * - Path: once open, the selected candidate pair goes to the sink (`sink.path`), and again each
 *   time it changes. @roamhq/wrtc has no `selectedcandidatepairchange`, and ICE often opens on a
 *   relay pair and moves to a better one seconds later without a state change, so the pair is
 *   read again every `PATH_POLL_MS` (one read at a time), besides each time ICE connects anew.
 *   A path whose local address the machine no longer has (it moved) fails the pipe within
 *   `ADDRESS_POLL_MS`, long before ICE says so.
 * - Received frames are the channel's buffers wrapped, not copied.
 * - The end: `sink.closed()` at most once; closing the peer connection is the plugin's.
 */
import { TransportError, describe, type BindingSide, type ConnectionStage, type Pipe } from '@whatnext/core';
import { explainNoPath, type IceCandidateError } from './no-path';
import { connectionPath } from './path';
import { webRtcBinding, webRtcMaxMessageSize } from './sdp';
import type { ChannelLike, DataChannelPipe as DataChannelPipeContract, DataChannelPipeOptions, DataChannelPipeState } from './service';

/**
 * The first message the answering side of a data channel sends; the side that made the channel
 * sends nothing before it has this. @roamhq/wrtc replays messages that reach the answering side
 * while it is still making its channel object after newer ones, so the creator's first messages
 * can arrive out of order on an ordered channel (`npx tsx bench/first-messages.ts 300` counts
 * how often, sent as the channel opens and once the answering side has spoken). Not a frame: no
 * pipe hands it to its sink.
 */
export const WEBRTC_ANSWERER_READY = Uint8Array.of(0x52);

/** Whether a data-channel message (an ArrayBuffer or a view of one) is WEBRTC_ANSWERER_READY. */
export function isWebRtcAnswererReady(data: unknown): boolean {
  const bytes = asBytes(data);
  return bytes?.byteLength === WEBRTC_ANSWERER_READY.byteLength && bytes[0] === WEBRTC_ANSWERER_READY[0];
}

/** Bytes that may wait in the channel before core stops sending; refilled from here. */
export const LOW_WATER_MARK = 256 * 1024;
/** Above this many bytes in the channel's buffer, frames wait in the pipe's own queue. */
export const CHANNEL_BUFFER_LIMIT = 8 * 1024 * 1024;
/** Poll period of the drain detection on engines without `bufferedamountlow`. */
export const DRAIN_POLL_MS = 4;
/** Period of the re-read of the peer connection's states while opening. */
export const STATE_POLL_MS = 250;
/** How long ICE may check without connecting, once both descriptions are set, before the dial
 * fails at 'ice'. libwebrtc gives
 * up after about 15 s, but now and then never says so on one side (seen in the network lab with
 * STUN only): this bounds it. */
export const ICE_CHECK_LIMIT_MS = 20_000;
/** How long ICE may stay 'disconnected' on an open pipe before the pipe fails. A path that died
 * (the link went down, the address changed, a NAT forgot the mapping) is otherwise only noticed at
 * core's dead-peer timeout; failed here, the connection closes and a known peer is dialled again
 * at once over a fresh path. An engine able to restart ICE over our signaling could try that
 * first; PeerJS and simple-peer give no way to renegotiate an open connection. */
export const ICE_DISCONNECTED_LIMIT_MS = 2000;
/** Period of the re-read of the selected candidate pair once open. */
export const PATH_POLL_MS = 1000;
/** Period of the check, once open, that the machine still has an address the path starts from.
 * A host that moved is otherwise only noticed at the next path poll, and the connection's heal
 * starts with that wait; the check reads the machine's interfaces, not the engine. */
export const ADDRESS_POLL_MS = 250;
/** Candidate errors kept per dial (an engine reports one per interface and server). */
const MAX_CANDIDATE_ERRORS = 64;

const STAGES: readonly ConnectionStage[] = ['signaling', 'ice', 'channel'];
const MOVED_AWAY = 'is gone: this machine no longer has the address it ran from';
/** @roamhq/wrtc reports "unlimited" retransmits and lifetime as 65535, not null. */
const UNLIMITED = 65535;

/** A message's bytes, over its own buffer (no copy); undefined for anything but bytes. */
function asBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

export class DataChannelPipe implements DataChannelPipeContract {
  readonly opened: Promise<Pipe>;
  readonly lowWaterMark: number;
  #state: DataChannelPipeState = 'opening';
  #stage: ConnectionStage | undefined;
  #maxFrameSize: number;
  #remoteMaxMessageSize: number | undefined;
  readonly #bound: Partial<Record<BindingSide, true>> = {};
  /** Creator: the answering side's first message has come (a wrong one failed the dial). */
  #readyHeard = false;
  /** Creator: the channel opened, and waits for that message. */
  #waiting: ChannelLike | undefined;
  #channel: ChannelLike | undefined;
  #nativeLow = false;
  #poll: ReturnType<typeof setInterval> | undefined;
  #overflow: Uint8Array[] = [];
  #overflowBytes = 0;
  #pc: RTCPeerConnection | undefined;
  #unfollow: (() => void)[] = [];
  #statePoll: ReturnType<typeof setInterval> | undefined;
  /** When ICE started checking (while opening). */
  #checkingSince: number | undefined;
  /** Kinds of candidates this side gathered, and the engine's candidate errors: what explains a
   * failure to find a path. */
  readonly #gathered = new Set<string>();
  /** Addresses of the host candidates this side gathered (every path starts from one). */
  readonly #hostAddresses = new Set<string>();
  readonly #candidateErrors: IceCandidateError[] = [];
  #lastPath = '';
  /** Once open: when ICE went 'disconnected' (cleared when it connects again). */
  #disconnectedSince: number | undefined;
  #pathPoll: ReturnType<typeof setInterval> | undefined;
  #addressPoll: ReturnType<typeof setInterval> | undefined;
  /** A read of the path is under way; `#pathAgain`: an ICE event asked for another after it. */
  #pathReading = false;
  #pathAgain = false;
  /** Never below the channel's real `bufferedAmount`: only our sends raise that. */
  #bufferedBound = 0;
  /** Set while `flush` waits for the buffer to empty. */
  #flushed: (() => void) | undefined;
  #resolve!: (pipe: Pipe) => void;
  #reject!: (error: Error) => void;

  constructor(private readonly options: DataChannelPipeOptions) {
    this.lowWaterMark = options.lowWaterMark ?? LOW_WATER_MARK;
    this.#maxFrameSize = options.maxFrameSize;
    this.opened = new Promise<Pipe>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.opened.catch(() => {}); // a dial nobody awaits must not be an unhandled rejection
    if (options.reported) this.#stage = options.reported;
    else this.#report('signaling');
  }

  get state(): DataChannelPipeState {
    return this.#state;
  }

  get stage(): ConnectionStage {
    return this.#stage ?? 'signaling';
  }

  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }

  // ---- opening ------------------------------------------------------------------------------

  advance(stage: ConnectionStage): void {
    if (this.#state !== 'opening') return;
    const to = STAGES.indexOf(stage);
    for (let i = STAGES.indexOf(this.stage) + 1; i <= to; i++) this.#report(STAGES[i]!);
  }

  description(side: BindingSide, sdp: string): void {
    if (side === 'remote') this.#remoteMaxMessageSize = webRtcMaxMessageSize(sdp);
    const binding = webRtcBinding(sdp);
    if (binding === undefined || this.#bound[side]) return;
    this.#bound[side] = true;
    this.options.sink.binding?.(side, binding);
  }

  channelOpen(channel: ChannelLike): void {
    if (this.#state !== 'opening') return;
    this.advance('channel');
    const limited = (value: number | null | undefined) => value !== null && value !== undefined && value < UNLIMITED;
    if (channel.ordered === false || limited(channel.maxRetransmits) || limited(channel.maxPacketLifeTime)) {
      return this.#refuse('the remote opened an unordered or partially reliable data channel; WhatNext needs an ordered, reliable one');
    }
    if (!this.options.creator) {
      try {
        channel.send(WEBRTC_ANSWERER_READY);
      } catch (error) {
        return this.#refuse(`the data channel refused our first message: ${describe(error)}`, error);
      }
      this.#bufferedBound += WEBRTC_ANSWERER_READY.byteLength;
    } else if (!this.#readyHeard) {
      this.#waiting = channel;
      return;
    }
    this.#open(channel);
  }

  receive(data: unknown): void {
    if (this.#state !== 'opening' && this.#state !== 'open') return; // none after a local close
    if (this.options.creator && !this.#readyHeard) return this.#onReady(data);
    const bytes = asBytes(data);
    // Before open too: the remote may open first, and the sink keeps frames until we do.
    if (bytes) return this.options.sink.frame(bytes);
    const message = 'the remote sent a text message; this pipe carries binary frames only';
    this.options.failed(this.#state === 'open' ? new TransportError('channel', `${this.options.label}: ${message}`) : this.#dialError('channel', message));
  }

  /** Creator: the answering side's first message, which may come before or after the channel
   * reports open. */
  #onReady(data: unknown): void {
    this.#readyHeard = true;
    const channel = this.#waiting;
    this.#waiting = undefined;
    if (!isWebRtcAnswererReady(data)) {
      return this.#refuse(`the answering side did not start with the ready message a WhatNext ${this.options.label} pipe sends first`);
    }
    if (channel) this.#open(channel);
  }

  #open(channel: ChannelLike): void {
    this.#state = 'open';
    this.#channel = channel;
    this.#maxFrameSize = Math.min(this.options.maxFrameSize, this.#remoteMaxMessageSize ?? Infinity);
    this.#nativeLow = typeof channel.bufferedAmountLowThreshold === 'number' && typeof channel.addEventListener === 'function';
    if (this.#nativeLow) {
      channel.bufferedAmountLowThreshold = this.lowWaterMark;
      channel.addEventListener!('bufferedamountlow', this.#onLow);
    }
    this.#stopStatePoll();
    this.#resolve(this);
    this.#followPath();
  }

  follow(pc: RTCPeerConnection): void {
    if (this.#pc || this.#state === 'ended') return;
    this.#pc = pc;
    const on = (type: string, listener: (event: Event) => void) => {
      pc.addEventListener(type, listener);
      this.#unfollow.push(() => pc.removeEventListener(type, listener));
    };
    on('icecandidate', (event) => {
      const candidate = (event as RTCPeerConnectionIceEvent).candidate;
      const type = candidate?.type ?? / typ ([a-z]+)/.exec(candidate?.candidate ?? '')?.[1];
      if (type) this.#gathered.add(type);
      if (type === 'host') this.#hostAddress(candidate?.candidate ?? '');
    });
    on('icecandidateerror', (event) => {
      const { url, errorCode, errorText } = event as RTCPeerConnectionIceErrorEvent;
      if (this.#candidateErrors.length < MAX_CANDIDATE_ERRORS) {
        this.#candidateErrors.push({ url: String(url ?? '').slice(0, 600), errorCode: Number(errorCode), errorText: String(errorText ?? '').slice(0, 200) });
      }
    });
    const onState = () => this.#onIceState();
    on('iceconnectionstatechange', onState);
    on('connectionstatechange', onState);
    if (this.#state === 'opening') {
      this.#statePoll = setInterval(onState, STATE_POLL_MS);
      this.#statePoll.unref?.();
    } else if (this.#state === 'open') this.#followPath();
  }

  noPath(): TransportError {
    let iceServers = this.options.iceServers ?? [];
    try {
      iceServers = this.#pc?.getConfiguration?.().iceServers ?? iceServers;
    } catch {
      // an engine without it: the servers the service said
    }
    return this.#dialError('ice', explainNoPath({ iceServers, gathered: this.#gathered, errors: this.#candidateErrors }).message);
  }

  /** While opening: the stages, and a failure to find a path. Once open: the path, when ICE
   * connects anew. */
  #onIceState(): void {
    const pc = this.#pc;
    if (!pc) return;
    const ice = pc.iceConnectionState;
    const connection = pc.connectionState;
    if (this.#state === 'open') return this.#checkOpenPath(ice, connection, true);
    if (this.#state !== 'opening') return this.#stopStatePoll();
    if (ice === 'connected' || ice === 'completed' || connection === 'connected') this.advance('channel');
    else if (ice === 'checking' || connection === 'connecting') this.advance('ice');
    // From when both descriptions are set: an inviter's ICE may answer the remote's early checks
    // while a person still carries the reply code back, and that wait has no limit here.
    if (this.stage === 'ice' && pc.remoteDescription) this.#checkingSince ??= Date.now();
    // A failed connection once ICE connected is the secure channel's failure: the plugin's to say.
    if (ice === 'failed' || (connection === 'failed' && this.stage !== 'channel')) return this.options.failed(this.noPath());
    if (this.#checkingSince !== undefined && this.stage === 'ice' && Date.now() - this.#checkingSince >= ICE_CHECK_LIMIT_MS) this.options.failed(this.noPath());
  }

  /** Once open: the path when ICE connects anew; a path that failed, or stays disconnected past
   * ICE_DISCONNECTED_LIMIT_MS, fails the pipe. Read on ICE events and on each path poll (the
   * engine's events can lag its state). */
  #checkOpenPath(ice: RTCIceConnectionState, connection: RTCPeerConnectionState, event: boolean): void {
    const lost = (why: string) => this.#pathLost(why);
    // Before ICE's own view, which still says 'connected' for seconds after the address went.
    if (this.#movedAway()) return lost(MOVED_AWAY);
    if (ice === 'connected' || ice === 'completed') {
      this.#disconnectedSince = undefined;
      return this.#reportPath(event);
    }
    if (ice === 'failed' || connection === 'failed') return lost('failed');
    if (ice !== 'disconnected') return;
    this.#disconnectedSince ??= Date.now();
    if (Date.now() - this.#disconnectedSince >= ICE_DISCONNECTED_LIMIT_MS) lost(`stayed disconnected for ${ICE_DISCONNECTED_LIMIT_MS / 1000} s`);
  }

  #pathLost(why: string): void {
    this.options.failed(new TransportError('ice', `${this.options.label}: the path to the peer ${why}`));
  }

  /** Whether none of the addresses this side gathered from is still the machine's own. */
  #movedAway(): boolean {
    if (!this.options.localAddresses) return false;
    // A peer connection made ahead (PeerJS) may have gathered before the pipe followed it.
    if (this.#hostAddresses.size === 0)
      for (const line of (this.#pc?.localDescription?.sdp ?? '').split('\n')) if (/ typ host/.test(line)) this.#hostAddress(line);
    if (this.#hostAddresses.size === 0) return false;
    const own = this.options.localAddresses();
    return ![...this.#hostAddresses].some((address) => own.has(address));
  }

  /** Keeps the address of a host candidate: "[a=]candidate:<foundation> <component> <protocol>
   * <priority> <address> <port> typ host ...". */
  #hostAddress(candidate: string): void {
    const address = candidate.slice(0, 1024).split(' ')[4];
    // libwebrtc gathers loopback too, which stays whatever happens, and carries no remote's path.
    if (!address || address === '::1' || address.startsWith('127.')) return;
    if (this.#hostAddresses.size < MAX_CANDIDATE_ERRORS) this.#hostAddresses.add(address);
  }

  /** Once open: the path now, and every `PATH_POLL_MS` until the end; the machine's addresses
   * every `ADDRESS_POLL_MS`. */
  #followPath(): void {
    if (!this.#pc || this.#pathPoll) return;
    this.#reportPath(true);
    if (this.options.localAddresses) {
      this.#addressPoll = setInterval(() => {
        if (this.#state === 'open' && this.#movedAway()) this.#pathLost(MOVED_AWAY);
      }, ADDRESS_POLL_MS);
      this.#addressPoll.unref?.();
    }
    this.#pathPoll = setInterval(() => {
      const pc = this.#pc;
      if (pc && this.#state === 'open') this.#checkOpenPath(pc.iceConnectionState, pc.connectionState, false);
      else this.#reportPath(false);
    }, PATH_POLL_MS);
    this.#pathPoll.unref?.();
  }

  /** Report the path when it changed (a path is news, not a condition of the pipe: an engine that
   * cannot say leaves it unreported). One read at a time: a poll while one is under way is
   * dropped; an ICE event (`again`) reads once more after it, since the pair may have moved. */
  #reportPath(again: boolean): void {
    const pc = this.#pc;
    if (!pc || this.#state !== 'open') return;
    if (this.#pathReading) {
      this.#pathAgain ||= again;
      return;
    }
    this.#pathReading = true;
    connectionPath(pc)
      .then(
        (path) => {
          const key = JSON.stringify(path);
          if (!path || key === this.#lastPath || this.#state !== 'open') return;
          this.#lastPath = key;
          try {
            this.options.sink.path?.(path);
          } catch {
            // A broken listener must not break the pipe.
          }
        },
        () => undefined,
      )
      .finally(() => {
        this.#pathReading = false;
        if (!this.#pathAgain) return;
        this.#pathAgain = false;
        this.#reportPath(false);
      });
  }

  #stopStatePoll(): void {
    clearInterval(this.#statePoll);
    this.#statePoll = undefined;
  }

  #stopFollowing(): void {
    this.#stopStatePoll();
    clearInterval(this.#pathPoll);
    this.#pathPoll = undefined;
    clearInterval(this.#addressPoll);
    this.#addressPoll = undefined;
    for (const unlisten of this.#unfollow.splice(0)) unlisten();
  }

  #report(stage: ConnectionStage): void {
    this.#stage = stage;
    try {
      this.options.stage(stage);
    } catch {
      // A broken progress listener must not break the dial.
    }
  }

  #dialError(stage: ConnectionStage, message: string, cause?: unknown): TransportError {
    return new TransportError(stage, `${this.options.label}: ${stage} failed: ${message}`, cause === undefined ? undefined : { cause });
  }

  #refuse(message: string, cause?: unknown): void {
    this.options.failed(this.#dialError('channel', message, cause));
  }

  // ---- the open pipe ------------------------------------------------------------------------

  send(frame: Uint8Array): void {
    const channel = this.#channel;
    if (this.#state !== 'open' || !channel) throw new TransportError('channel', `${this.options.label}: the pipe is closed`);
    if (frame.byteLength > this.#maxFrameSize) {
      throw new RangeError(`${this.options.label}: a frame of ${frame.byteLength} bytes is over the pipe's maxFrameSize of ${this.#maxFrameSize}`);
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
    if (this.#bufferedBound + this.#overflowBytes > this.lowWaterMark) this.#watch();
  }

  bufferedAmount(): number {
    return this.#state === 'open' ? this.#buffered() : 0;
  }

  close(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#stopWatching();
    this.options.close();
  }

  end(error?: Error): void {
    const state = this.#state;
    if (state === 'ended') return;
    this.#state = 'ended';
    this.#stopWatching();
    this.#stopFollowing();
    if (state !== 'opening') return this.options.sink.closed(error);
    // The channel opened and the dial still waits: the likeliest cause is a remote that does not send it.
    if (this.#waiting && error) {
      const stage = error instanceof TransportError ? error.stage : this.stage;
      error = new TransportError(stage, `${error.message} (the channel was open, but the answering side never sent its ready message)`, { cause: error });
    }
    this.#reject(error ?? this.#dialError(this.stage, 'the dial ended'));
  }

  flush(timeoutMs: number): Promise<void> {
    const channel = this.#channel;
    if (!channel || channel.readyState !== 'open' || this.#buffered() === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        channel.removeEventListener?.('close', done);
        this.#flushed = undefined;
        this.#stopWatching();
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref?.();
      this.#flushed = done;
      channel.addEventListener?.('close', done); // the remote closed meanwhile: nothing to flush
      if (this.#nativeLow) {
        channel.bufferedAmountLowThreshold = 0;
        channel.addEventListener!('bufferedamountlow', this.#onLow);
      } else {
        this.#poll ??= this.#startPolling();
      }
    });
  }

  release(): void {
    this.#flushed?.();
    this.#stopWatching();
    this.#stopFollowing();
    this.#overflow = [];
    this.#overflowBytes = 0;
  }

  // ---- backpressure -------------------------------------------------------------------------

  /** Hand a frame to the channel. Its readyState leaves 'open' a few milliseconds before its
   * 'close' event comes, and `send` throws meanwhile: say so plainly. */
  #write(channel: ChannelLike, frame: Uint8Array): void {
    try {
      channel.send(frame as Uint8Array<ArrayBuffer>);
    } catch (error) {
      throw new TransportError('channel', `${this.options.label}: the data channel is ${channel.readyState}; the frame was not sent (${describe(error)})`, {
        cause: error,
      });
    }
  }

  #buffered(): number {
    return this.#channelBuffered() + this.#overflowBytes;
  }

  /** The channel's real buffered amount (a blocking engine call); refreshes the bound. */
  #channelBuffered(): number {
    this.#bufferedBound = this.#channel?.bufferedAmount ?? 0;
    return this.#bufferedBound;
  }

  /** Possibly above the low-water mark: wait for the drain, unless the real amount says not. */
  #watch(): void {
    if (this.#nativeLow || this.#poll !== undefined) return;
    if (this.#overflowBytes === 0 && this.#channelBuffered() <= this.lowWaterMark) return;
    this.#poll = this.#startPolling();
  }

  #startPolling(): ReturnType<typeof setInterval> {
    const poll = setInterval(this.#onLow, DRAIN_POLL_MS);
    poll.unref?.();
    return poll;
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
    const buffered = this.#buffered();
    if (this.#flushed) {
      if (buffered === 0) this.#flushed();
      return;
    }
    if (buffered > this.lowWaterMark) return;
    this.#stopPolling();
    if (this.#state === 'open') this.options.sink.drain();
  };

  /** Queued frames can no longer go out. A channel on its way to closed ends the pipe with its
   * 'close' (cleanly, if the remote closed it); one still open failed, and the pipe ends with
   * that. A flush stops waiting for the queue either way. */
  #cannotSend(channel: ChannelLike, error: TransportError): void {
    this.#stopPolling();
    this.#overflow = [];
    this.#overflowBytes = 0;
    if (this.#flushed) this.#flushed();
    else if (channel.readyState === 'open' && this.#state === 'open') this.options.failed(error);
  }

  #stopPolling(): void {
    clearInterval(this.#poll);
    this.#poll = undefined;
  }

  #stopWatching(): void {
    this.#stopPolling();
    if (this.#nativeLow) this.#channel?.removeEventListener?.('bufferedamountlow', this.#onLow);
  }
}
