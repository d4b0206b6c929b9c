/**
 * The connection core builds on any pipe. Public API only; the implementation lives beside it.
 */
import { z } from 'zod';
import { ConnectionStage, type ConnectionState } from '../contracts/stages';
import type { PeerId, PeerInfo } from '../contracts/peer';
import type { Pipe, PipeSink } from '../contracts/transport';
import type { PeerIdentity, ProofSuite } from './proof';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A message is either bytes (sent as-is) or a JSON value. */
export type Message = Uint8Array | Json;

/** Why a connection ended. `local`/`remote` say who closed it; `error` marks a failure.
 * (A schema, because it crosses process boundaries in the protocol.) */
export const CloseReason = z.object({
  by: z.enum(['local', 'remote', 'error']),
  /** Stable tag: 'closed', 'peer-timeout', 'pipe-closed', 'handshake-failed', 'transport-failed', 'aborted', ... */
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
  close: CloseReason;
}

export interface Connection {
  readonly id: string;
  readonly state: ConnectionState;
  readonly stage: ConnectionStage;
  /** Known after the handshake. */
  readonly remote: PeerInfo | undefined;
  /** Set once closed or failed. */
  readonly closeReason: CloseReason | undefined;
  /** The sink to hand to the transport before dialling. */
  readonly sink: PipeSink;
  /** Resolves when open; rejects (with the close reason as an error) if it closes first. */
  readonly opened: Promise<void>;
  /** Resolves when closed or failed. */
  readonly closed: Promise<CloseReason>;
  setStage(stage: ConnectionStage): void;
  /** This side's handshake nonce. A signalling method that carries it to the remote ahead of
   * the transport (in an offer, a reply code) lets the remote prove itself in its hello. */
  readonly handshakeNonce: string;
  /** The remote's handshake nonce and claimed id, as they came through signalling: our proof
   * is made now and travels in our hello, saving the handshake a round trip. Untrusted and
   * best effort: ignored once our hello is out or when malformed; a wrong one only makes the
   * remote refuse our proof. */
  presign(remoteId: PeerId, nonce: string): void;
  /** Our hello with the proof made by `presign`, to send through signalling (JSON), once that
   * proof is made; undefined if none is being made. */
  signalledHello(): Promise<unknown>;
  /** The remote's hello as it came through signalling (untrusted). One with a proof is checked
   * now, as a hello on the pipe would be; if it checks out the connection opens as soon as the
   * pipe does, and the remote's hello on the pipe must then name the same peer, key and nonce.
   * One that is malformed or does not check out (a proof for another nonce, say) is set aside:
   * the handshake on the pipe does all the work. Ignored once the remote's hello came on the pipe. */
  acceptSignalledHello(hello: unknown): void;
  /** The transport delivered a pipe: run the handshake and open. */
  attach(pipe: Pipe): void;
  /** The attempt failed before a pipe existed. */
  fail(stage: ConnectionStage, error: unknown): void;
  channel(name: string): Channel;
  /** Close with a reason the remote receives; resolves when closed. */
  close(message?: string): Promise<void>;
  stats(): ConnectionStats;
  on<E extends keyof ConnectionEvents>(event: E, listener: (value: ConnectionEvents[E]) => void): Unsubscribe;
}
