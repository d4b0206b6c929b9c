/**
 * The connection core builds on any pipe. Public API only; the implementation lives beside it
 * (connection.ts, whose `UpgradingConnection` adds what only the host's ConnectionManager uses).
 */
import { z } from 'zod';
import { ConnectionStage, type ConnectionState } from '../contracts/stages';
import type { PeerId, PeerInfo } from '../contracts/peer';
import { ConnectionPath } from '../contracts/transport';
import type { PeerIdentity, ProofSuite } from './proof';
import type { SessionCrypto } from './secure/session-crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A message is either bytes (sent as-is) or a JSON value. */
export type Message = Uint8Array | Json;

/** Why a connection ended. `local`/`remote` say who closed it; `error` marks a failure.
 * (A schema, because it crosses process boundaries in the protocol.) */
export const CloseReason = z.object({
  by: z.enum(['local', 'remote', 'error']),
  /** Stable tag: one of core's (close-codes.ts), or whatever a remote sent. */
  code: z.string(),
  /** Human-readable. */
  message: z.string(),
  /** For failures: which stage failed. */
  stage: ConnectionStage.optional(),
});
export type CloseReason = z.infer<typeof CloseReason>;

export const ConnectionStats = z.object({
  bytesSent: z.number(),
  bytesReceived: z.number(),
  messagesSent: z.number(),
  messagesReceived: z.number(),
  /** Last heartbeat round-trip time in ms, once measured. */
  rttMs: z.number().optional(),
  /** Messages and requests received for a channel whose buffer was full or that no longer has
   * a listener (see `maxBufferedMessages`). */
  droppedMessages: z.number(),
  /** The network path, as the transport last reported it. */
  path: ConnectionPath.optional(),
});
export type ConnectionStats = z.infer<typeof ConnectionStats>;

export interface ConnectionOptions {
  /** Who we are: sent in the handshake. */
  local: PeerInfo;
  /** If set, the handshake fails unless the remote proves this id. */
  expectedRemote?: PeerId;
  /** This peer's key: the handshake proves `local.id` with it (see proof.ts). */
  identity?: PeerIdentity;
  /** Open only with a remote that proves its id with its key. Default: true when `identity`
   * is set. Without it, an id is only a claim. */
  requireProof?: boolean;
  /** The crypto proofs are checked with. Default: WebCrypto. */
  proofSuite?: ProofSuite;
  /** X25519 and ChaCha20-Poly1305 for the secure session core runs on a pipe without one of its
   * own (secure/session.ts). Default: @noble's, pure JavaScript. */
  sessionCrypto?: SessionCrypto;
  /** Encrypt and authenticate every frame of a pipe whose transport reports no secure session
   * of its own (`PipeSink.binding`). Default true. Both ends must agree: false is for measuring
   * what encryption costs (`npm run bench`) and for tests that read the wire in clear. */
  encryptUnboundPipes?: boolean;
  /** Heartbeat interval (ms). Default 5000. */
  heartbeatIntervalMs?: number;
  /** No frame from the remote for this long means the peer is dead. Default 15000. */
  deadPeerTimeoutMs?: number;
  /** Default timeout of `request`. Default 10000. */
  requestTimeoutMs?: number;
  /** `send` waits while the pipe's buffered amount is above this. Default 1 MiB. */
  highWaterMark?: number;
  /** Largest message accepted from the remote after reassembly. Default 64 MiB. */
  maxMessageSize?: number;
  /** How long `close()` waits for the remote to close the pipe after the close frame, before
   * closing it itself. Default 2000. */
  closeTimeoutMs?: number;
  /** Messages (and requests) that arrive on a channel before its first `onMessage` (or
   * `onRequest`) subscriber are buffered, up to this many across all channels. Beyond that, and
   * after a channel's subscribers have all gone, they are dropped and counted in
   * `stats().droppedMessages` (a dropped request is answered with an error). Default 1024. */
  maxBufferedMessages?: number;
  /** The same bound in bytes. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Offer the remote to send messages interleaved (see wire.ts), so its small messages on one
   * channel need not wait for a large one on another. Off, it sends whole messages one after the
   * other in the order they were sent, as to a peer from before interleaving. Default true. */
  interleave?: boolean;
}

export type Unsubscribe = () => void;

export interface Channel {
  readonly name: string;
  /** Resolves once the message is handed to the pipe (after waiting for backpressure). */
  send(message: Message): Promise<void>;
  /** Send a request; resolves with the remote handler's answer, rejects on remote error,
   * timeout or close. */
  request(message: Message, options?: { timeoutMs?: number }): Promise<Message>;
  onMessage(handler: (message: Message) => void): Unsubscribe;
  /** One handler per channel answers requests; a thrown error travels back as a rejection. */
  onRequest(handler: (message: Message) => Message | Promise<Message>): Unsubscribe;
}

export interface ConnectionEvents extends Record<string, unknown> {
  state: ConnectionState;
  stage: ConnectionStage;
  /** The transport reported the path (again). */
  path: ConnectionPath;
  close: CloseReason;
}

/** A connection as plugins see it. */
export interface Connection {
  readonly id: string;
  readonly state: ConnectionState;
  readonly stage: ConnectionStage;
  /** Known after the handshake. */
  readonly remote: PeerInfo | undefined;
  /** Set once closed or failed. */
  readonly closeReason: CloseReason | undefined;
  /** Resolves when open; rejects (with the close reason as an error) if it closes first. */
  readonly opened: Promise<void>;
  /** Resolves when closed or failed. */
  readonly closed: Promise<CloseReason>;
  channel(name: string): Channel;
  /** Close with a reason the remote receives; resolves when closed. */
  close(message?: string): Promise<void>;
  stats(): ConnectionStats;
  on<E extends keyof ConnectionEvents>(event: E, listener: (value: ConnectionEvents[E]) => void): Unsubscribe;
}
