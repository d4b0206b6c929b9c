/**
 * What the webrtc plugin provides (`ctx.provide`) to the plugins that declare it as a
 * dependency and take it with `ctx.use<WebRtcService>('webrtc')`. Types only: a dependent plugin
 * imports this module with `import type`, and gets everything it runs through the service.
 */
import type { BindingSide, ConnectionStage, Pipe, PipeSink, TransportError } from '@whatnext/core';

/** A Node WebRTC engine: the `wrtc` shape (@roamhq/wrtc by default). */
export interface WebRtcEngine {
  RTCPeerConnection: typeof RTCPeerConnection;
  RTCSessionDescription: typeof RTCSessionDescription;
  RTCIceCandidate: typeof RTCIceCandidate;
}

export interface WebRtcService {
  /** The engine: the `engine` option, else @roamhq/wrtc, loaded (synchronously) on the first
   * call, so a host that never connects loads no native code. Throws why it cannot be loaded. */
  engine(): WebRtcEngine;
  /** What a new peer connection is configured with: the ICE servers as the settings say now.
   * Read it for each peer connection; a change applies to the next one. */
  configuration(): RTCConfiguration;
  /** The pipe of one side of one connection, made as the dial starts; see `DataChannelPipe`. */
  pipe(options: DataChannelPipeOptions): DataChannelPipe;
  /** A complete description in about 80 bytes and back (compact-description.ts), for signals a
   * person carries. `compact` is undefined for a description of another shape; `expand` throws
   * a `TransportError` on bytes that are not one. */
  readonly compactDescriptions: {
    compact(description: { type: 'offer' | 'answer'; sdp: string }): Uint8Array | undefined;
    expand(bytes: Uint8Array): { type: 'offer' | 'answer'; sdp: string };
  };
}

/** The part of an RTCDataChannel the pipe uses. */
export interface ChannelLike {
  readonly bufferedAmount: number;
  readonly readyState: string;
  bufferedAmountLowThreshold?: number;
  readonly ordered?: boolean;
  readonly maxRetransmits?: number | null;
  readonly maxPacketLifeTime?: number | null;
  send(data: Uint8Array<ArrayBuffer>): void;
  addEventListener?(type: 'bufferedamountlow' | 'close', listener: () => void): void;
  removeEventListener?(type: 'bufferedamountlow' | 'close', listener: () => void): void;
}

export interface DataChannelPipeOptions {
  /** Who runs the channel, in messages: `simple-peer`, `PeerJS`. */
  label: string;
  /** This side made the data channel (the initiator, the dialer): it waits for the answering
   * side's ready message before its pipe opens. */
  creator: boolean;
  sink: PipeSink;
  /** The dial's progress report. */
  stage(stage: ConnectionStage): void;
  /** The stage the dial has already reported itself; otherwise the pipe reports 'signaling'. */
  reported?: ConnectionStage;
  /** The largest frame, lowered to the largest message the remote's description accepts. */
  maxFrameSize: number;
  /** `sink.drain()` comes once the buffered amount falls to this. Default 256 KiB. */
  lowWaterMark?: number;
  /** The pipe found it cannot go on (the remote did not open as a WhatNext pipe does, the open
   * channel failed): end the dial or the connection with `error` (`end`) and release it. */
  failed(error: TransportError): void;
  /** `close()` was called on the open pipe, which has stopped sending: close the connection,
   * then `end()` the pipe. */
  close(): void;
  /** The ICE servers the dial's peer connection runs with, for explaining a failure to find a
   * path (the service's `pipe()` fills them in from its configuration; the peer connection's
   * own `getConfiguration()` comes first where the engine has it). */
  iceServers?: readonly RTCIceServer[];
  /** The machine's own addresses now (the service's `pipe()` fills it in). An open pipe none of
   * whose gathered host addresses is among them lost its path (the host moved): it fails at
   * once, where ICE would take seconds to say so. */
  localAddresses?: () => ReadonlySet<string>;
}

/** `opening` until the channel is open as a WhatNext pipe; `closing` once `close()` was called;
 * `ended` once the dial failed or the sink heard `closed()`. */
export type DataChannelPipeState = 'opening' | 'open' | 'closing' | 'ended';

/**
 * The one pipe over a WebRTC data channel, from the start of a dial to its end. The plugin
 * feeds it what its library reports (stages, descriptions, the open channel, messages) and
 * closes its own peer connection; the pipe does the rest the same way for every plugin.
 */
export interface DataChannelPipe extends Pipe {
  readonly state: DataChannelPipeState;
  /** Resolves with the pipe once it is open; rejects with the error it ended with before. */
  readonly opened: Promise<Pipe>;
  /** The last stage reported. */
  readonly stage: ConnectionStage;
  /** Move forward to `stage`, reporting any skipped on the way (engine events coalesce). Only
   * while opening. */
  advance(stage: ConnectionStage): void;
  /** A session description passed, ours or the remote's: reports that side's DTLS binding to
   * the sink (once per side), and the remote's largest message. */
  description(side: BindingSide, sdp: string): void;
  /** The data channel is open: the answering side sends the ready message and opens; the
   * creator opens once that message came. */
  channelOpen(channel: ChannelLike): void;
  /** A message from the data channel. */
  receive(data: unknown): void;
  /** The peer connection under the channel, as soon as it exists. While opening, the pipe follows
   * its ICE (the stages 'ice' and 'channel'; a failure to find a path fails the dial at 'ice' with
   * `noPath()`), reading the states on every event and every `STATE_POLL_MS` (an engine's state
   * getters can lag its events), and keeps what explains a failure (the kinds of candidates this
   * side gathered, the engine's candidate errors). Once open, it reports the path (the selected
   * candidate pair) to the sink, and again whenever it changes (read again every `PATH_POLL_MS`
   * and whenever ICE connects anew). Once. */
  follow(pc: RTCPeerConnection): void;
  /** The dial's failure when ICE found no path, saying what is missing and where to set it
   * (`explainNoPath`): for a plugin whose library reports that failure itself. */
  noPath(): TransportError;
  /** The end: before open, the dial fails with `error`; after, the sink hears `closed(error)`.
   * Once; later calls do nothing. */
  end(error?: Error): void;
  /** After `close()`: let what the pipe and the channel still hold go out (closing a channel
   * discards it). Resolves once the channel's buffer is empty, the channel closed or refused
   * more, or after `timeoutMs`. */
  flush(timeoutMs: number): Promise<void>;
  /** Stop every timer and listener and drop what is queued (the connection is released). */
  release(): void;
}
