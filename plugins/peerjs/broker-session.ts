/**
 * One PeerJS `Peer` registered on one broker under the local peer id, created on first use.
 *
 * The session sits between the broker and PeerJS (through the socket checkpoint, socket.ts) and
 * keeps the books PeerJS does not:
 *
 * - Incoming OFFERs are validated and *held*: PeerJS would answer them on the spot (starting
 *   ICE and revealing our addresses to anyone who knows our id). A held offer is released to
 *   PeerJS only when the host accepts it, or refused with a reason the remote's session reads.
 * - ANSWERs and CANDIDATEs pass only for connections we started or released, from the peer
 *   they belong to; anything else is dropped (PeerJS would store it forever).
 * - Each connection's descriptions go to its pipe as they pass (`DescriptionListener`): the
 *   remote's from its OFFER or ANSWER, ours as the engine makes it. What PeerJS sends is never
 *   read or changed.
 * - The broker's EXPIRE (the remote is not registered), our refusals and LEAVE fail the
 *   matching attempts with a `TransportError` at stage 'signaling' instead of leaving them
 *   hanging. LEAVE does not reach PeerJS: PeerJS would close open peer-to-peer connections just
 *   because the remote's broker socket dropped.
 */
import type { DataConnection, Peer, PeerError, PeerJSOption } from 'peerjs';
import {
  RefusedByPeerError,
  cleanReason,
  TransportError,
  describe,
  type BindingSide,
  type PeerId,
  type PeerInfo,
  raceAbort,
  randomBase32,
} from '@whatnext/core';
import { AnswerPayload, BrokerMessage, CandidatePayload, ConnectionId, Metadata, OfferPayload, RefusalPayload } from './messages';
import type { BrokerSocket, SocketOwner } from './socket';

export interface BrokerAddress {
  host: string;
  port: number;
  path: string;
  key: string;
  secure: boolean;
}

export function brokerUrl(broker: BrokerAddress): string {
  return `${broker.secure ? 'wss' : 'ws'}://${broker.host}:${broker.port}${broker.path}`;
}

/** Two addresses with the same identity reach the same broker realm. */
export function brokerIdentity(broker: BrokerAddress): string {
  return `${brokerUrl(broker).toLowerCase()}#${broker.key}`;
}

export interface SessionRuntime {
  Peer: typeof Peer;
  /** Sockets find their session by the token PeerJS puts in the socket URL. */
  owners: Map<string, SocketOwner>;
  /** Hear the descriptions `pc` creates, as soon as the engine has made them. */
  onLocalDescription(pc: RTCPeerConnection, listener: (sdp: string) => void): void;
  /** Make a peer connection for `config` ahead, for the next connection PeerJS starts. */
  prepareConnection(config: RTCConfiguration): void;
}

export interface SessionOptions {
  broker: BrokerAddress;
  local: PeerInfo;
  /** PeerJS's `config`, handed to every peer connection it makes: read at each construction,
   * so it may say what the settings say now. */
  configuration: RTCConfiguration;
  runtime: SessionRuntime;
  log(level: 'debug' | 'info' | 'warn', message: string): void;
  /** A well-formed OFFER from a WhatNext peer, held until released or refused. */
  offer(offer: HeldOffer): void;
  /** The registration dropped (the broker went away); not called after `destroy()`. */
  lost?: (() => void) | undefined;
}

/** How many incoming offers may wait for a decision at once; more are refused as busy. */
export const MAX_HELD_OFFERS = 32;
/** Candidates kept per held offer (a peer gathers a handful). */
const MAX_HELD_CANDIDATES = 32;
/** The broker answers a registration at once; this bounds a broker that never does. */
export const REGISTER_TIMEOUT_MS = 15_000;
/** PeerJS error types that end a registration attempt. */
const REGISTRATION_ERRORS: ReadonlySet<string> = new Set([
  'browser-incompatible',
  'disconnected',
  'invalid-id',
  'invalid-key',
  'network',
  'server-error',
  'socket-error',
  'socket-closed',
  'ssl-unavailable',
  'unavailable-id',
]);

/** A data connection of this session, and how it can fail from outside PeerJS. */
export interface SessionConnection {
  readonly conn: DataConnection;
  readonly remoteId: PeerId;
  /** Aborted with a `TransportError` when the broker says the attempt cannot go on. */
  readonly failure: AbortSignal;
  /** Forget the connection (call once it closed or failed). */
  end(): void;
}

/** Hears each side's session description of one connection as it passes (its pipe does). */
export interface DescriptionListener {
  description(side: BindingSide, sdp: string): void;
}

interface Entry {
  remoteId: string;
  outgoing: boolean;
  answered: boolean;
  failure: AbortController;
  descriptions: DescriptionListener;
  /** Incoming: the remote's candidates that came while its offer was held, handed to PeerJS
   * once our answer is made. */
  heldCandidates?: BrokerMessage[] | undefined;
  /** PeerJS's connection, once made. */
  conn?: DataConnection;
}

/** PeerJS closes a connection by itself (ICE failed) before our pipe lets its entry go; a
 * candidate handed to it then reads the peer connection and provider its close() cleared, and
 * throws from a promise nobody awaits: fatal to a Node process. */
const takesCandidates = (entry: Entry) => !entry.conn || (entry.conn.peerConnection != null && entry.conn.provider != null);

interface Held {
  offer: HeldOffer;
  message: BrokerMessage;
  candidates: BrokerMessage[];
  gone: AbortController;
}

/** An incoming OFFER waiting for the host's decision. */
export interface HeldOffer {
  readonly remoteId: PeerId;
  readonly connectionId: string;
  readonly metadata: Metadata;
  /** The offer's SDP. */
  readonly sdp: string;
  /** Aborted (with a `TransportError`) when the offer can no longer be taken: the remote left,
   * the broker connection dropped, the session ended. */
  readonly gone: AbortSignal;
  /** Let PeerJS answer the offer; returns the new data connection. `descriptions` hears the
   * offer's now, and ours once the engine made it. */
  release(descriptions: DescriptionListener): SessionConnection;
  /** Tell the remote no, with a reason, and forget the offer. */
  refuse(reason: string): void;
}

export class BrokerSession implements SocketOwner {
  readonly url: string;
  readonly broker: BrokerAddress;
  #peer: Peer | undefined;
  #token: string | undefined;
  #socket: BrokerSocket | undefined;
  /** While re-registering: the id of the echo that proves it (see #register). */
  #echo: string | undefined;
  #opening: Promise<void> | undefined;
  #socketError: Error | undefined;
  #destroyed = false;
  #entries = new Map<string, Entry>();
  #held = new Map<string, Held>();
  #capturing: string | undefined;
  #captured: DataConnection | undefined;

  constructor(private readonly options: SessionOptions) {
    this.url = brokerUrl(options.broker);
    this.broker = options.broker;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Connections and held offers in flight: a session with none may be let go. */
  get busy(): boolean {
    return this.#entries.size > 0 || this.#held.size > 0;
  }

  /** Register on the broker (once; again after the broker connection dropped). */
  async ready(abort?: AbortSignal): Promise<void> {
    if (this.#destroyed) throw new TransportError('signaling', 'The PeerJS session has been shut down.');
    if (this.#peer?.open) return;
    this.#opening ??= this.#register().finally(() => {
      this.#opening = undefined;
    });
    await raceAbort(this.#opening, abort, abortError);
  }

  /** Open a data connection to `remoteId` (after `ready`); `descriptions` hears ours as the
   * engine makes it and the remote's from its ANSWER. */
  connect(remoteId: PeerId, metadata: Metadata, descriptions: DescriptionListener): SessionConnection {
    const peer = this.#peer;
    if (!peer?.open) throw new TransportError('signaling', `Not registered on the PeerJS broker at ${this.url}.`);
    let conn: DataConnection;
    try {
      conn = peer.connect(remoteId, { label: 'whatnext', reliable: true, serialization: 'raw', metadata });
    } catch (error) {
      // PeerJS constructs the peer connection right here: an engine that cannot make one throws.
      throw new TransportError('signaling', `Could not start a WebRTC peer connection: ${describe(error)}`, { cause: error });
    }
    // Known before the OFFER leaves (PeerJS sends it once the engine made it), so the
    // checkpoint recognises the ANSWER and CANDIDATEs that come back.
    const entry = this.#entry(conn.connectionId, remoteId, true, descriptions);
    this.#watchOurDescription(conn, entry);
    return this.#sessionConnection(conn.connectionId, remoteId, conn, entry);
  }

  /** Destroy the Peer (closing its connections) and drop the broker socket. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#lost('The PeerJS session was shut down.');
    const peer = this.#peer;
    this.#peer = undefined;
    peer?.destroy();
    peer?.removeAllListeners();
    this.#socket?.terminate();
    if (this.#token) this.options.runtime.owners.delete(this.#token);
  }

  // --- SocketOwner -------------------------------------------------------------------------

  attach(socket: BrokerSocket): void {
    this.#socket = socket;
  }

  opened(socket: BrokerSocket): void {
    if (this.#echo === undefined || socket !== this.#socket) return;
    // EXPIRE: the one message a broker never queues for an absent peer.
    socket.sendMessage({ type: 'EXPIRE', dst: this.options.local.id, payload: { connectionId: this.#echo, reason: 'registration check' } });
  }

  failed(error: Error): void {
    this.#socketError = error;
    this.options.log('debug', `broker socket ${this.url}: ${describe(error)}`);
  }

  log(level: 'debug' | 'warn', message: string): void {
    this.options.log(level, `${this.url}: ${message}`);
  }

  inbound(message: BrokerMessage): boolean {
    if (message.type === 'EXPIRE' && this.#echo !== undefined && message.src === this.options.local.id) {
      if ((message.payload as { connectionId?: unknown } | undefined)?.connectionId !== this.#echo) return false;
      this.#echo = undefined;
      // Our own message came back: the broker routes our id to this socket.
      if (this.#peer && !this.#peer.open) this.#socket?.deliver({ type: 'OPEN' });
      return false;
    }
    switch (message.type) {
      case 'OPEN':
      case 'ERROR':
      case 'ID-TAKEN':
      case 'INVALID-KEY':
        return true;
      case 'OFFER':
        this.#offer(message);
        return false;
      case 'ANSWER':
        return this.#answer(message);
      case 'CANDIDATE':
        return this.#candidate(message);
      case 'EXPIRE':
        this.#expire(message);
        return false;
      case 'LEAVE':
        this.#leave(message);
        return false;
      default:
        return false;
    }
  }

  // --- Registration --------------------------------------------------------------------------

  #register(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#socketError = undefined;
      let peer = this.#peer;
      try {
        if (peer && !peer.destroyed && peer.disconnected) {
          // Same id and token: the broker takes us back. One that still holds our old socket (it
          // has not noticed that it died) moves us to the new one without a word, where PeerJS
          // waits for an OPEN: an echo through the broker proves that we are routed here.
          this.#echo = `rj_${randomBase32()}`.slice(0, 32);
          peer.reconnect();
        } else {
          this.#echo = undefined;
          peer = this.#createPeer();
        }
      } catch (cause) {
        reject(new TransportError('signaling', `Could not start the PeerJS client for ${this.url}: ${describe(cause)}`, { cause }));
        return;
      }
      const registered = peer;
      const settle = (error?: TransportError) => {
        clearTimeout(timer);
        registered.off('open', onOpen);
        registered.off('error', onError);
        registered.off('disconnected', onGone);
        registered.off('close', onGone);
        if (error) reject(error);
        else resolve();
      };
      const onOpen = () => {
        settle();
        // At once, not later: `ready()` resumes after this, and a connect that follows takes it.
        this.#prepareConnection();
      };
      const onError = (error: PeerError<string>) => {
        // Errors of other connections on this peer (webrtc) do not concern the registration.
        if (!REGISTRATION_ERRORS.has(error.type)) return;
        settle(this.#registrationError(error));
      };
      const onGone = () => settle(this.#registrationError());
      const timer = setTimeout(() => {
        settle(new TransportError('signaling', `The PeerJS broker at ${this.url} did not confirm the registration within ${REGISTER_TIMEOUT_MS / 1000} s.`));
        registered.disconnect();
      }, REGISTER_TIMEOUT_MS);
      registered.on('open', onOpen);
      registered.on('error', onError);
      registered.on('disconnected', onGone);
      registered.on('close', onGone);
    });
  }

  #createPeer(): Peer {
    const { runtime, broker, local, log } = this.options;
    if (this.#token) runtime.owners.delete(this.#token);
    this.#token = randomBase32();
    runtime.owners.set(this.#token, this);
    const options: PeerJSOption & { logFunction(level: number, ...rest: unknown[]): void; pingInterval: number } = {
      host: broker.host,
      port: broker.port,
      path: broker.path,
      key: broker.key,
      secure: broker.secure,
      token: this.#token,
      config: this.options.configuration,
      debug: 2, // errors and warnings, routed to the plugin log below
      pingInterval: 5000,
      logFunction: (_level, ...rest) => log('debug', `PeerJS: ${rest.map((part) => (typeof part === 'string' ? part : describe(part))).join(' ')}`),
    };
    const peer = new runtime.Peer(local.id, options);
    this.#peer = peer;
    peer.on('connection', (conn) => {
      if (conn.connectionId === this.#capturing) {
        this.#captured = conn;
        return;
      }
      // Cannot happen (every OFFER goes through #offer); close rather than trust it.
      conn.close();
    });
    peer.on('error', (error) => log('debug', `PeerJS peer on ${this.url}: ${error.type}: ${error.message}`));
    peer.on('disconnected', () => {
      if (this.#peer !== peer || this.#destroyed) return;
      const opened = !this.#opening; // a failed registration is reported by ready() instead
      this.#lost(`Lost the connection to the PeerJS broker at ${this.url}.`);
      if (opened) this.options.lost?.();
    });
    // PeerJS ignores socket events once disconnected; a reconnect() later opens a new socket.
    return peer;
  }

  #registrationError(error?: PeerError<string>): TransportError {
    const where = `the PeerJS broker at ${this.url}`;
    const detail = this.#socketError ? describe(this.#socketError) : error?.message || 'the connection closed';
    switch (error?.type) {
      case 'unavailable-id':
        return new TransportError('signaling', `${where} refused our peer id: it is already registered (is WhatNext running twice with the same identity?).`, {
          cause: error,
        });
      case 'invalid-key':
        return new TransportError('signaling', `${where} refused the key "${this.options.broker.key}".`, { cause: error });
      case 'server-error':
        return new TransportError('signaling', `${where} refused the registration: ${detail}.`, { cause: error });
      default:
        return new TransportError('signaling', `Could not reach ${where}: ${detail}.`, { cause: this.#socketError ?? error });
    }
  }

  // --- Connections ---------------------------------------------------------------------------

  #entry(connectionId: string, remoteId: string, outgoing: boolean, descriptions: DescriptionListener): Entry {
    const entry: Entry = { remoteId, outgoing, answered: !outgoing, failure: new AbortController(), descriptions };
    this.#entries.set(connectionId, entry);
    return entry;
  }

  #sessionConnection(connectionId: string, remoteId: PeerId, conn: DataConnection, entry: Entry): SessionConnection {
    entry.conn = conn;
    return {
      conn,
      remoteId,
      failure: entry.failure.signal,
      end: () => {
        if (this.#entries.get(connectionId) !== entry) return;
        this.#entries.delete(connectionId);
        // The next connection's peer connection is made now, as at registration, rather than
        // as this one's first messages come: those are its handshake, and making one blocks
        // the thread for a millisecond or more.
        setImmediate(() => this.#prepareConnection());
      },
    };
  }

  #prepareConnection(): void {
    if (this.#destroyed) return;
    try {
      this.options.runtime.prepareConnection(this.options.configuration);
    } catch (error) {
      // PeerJS constructs its own then, and reports the failure on that connection.
      this.options.log('debug', `${this.url}: could not make a peer connection ahead: ${describe(error)}`);
    }
  }

  #fail(entry: Entry, error: TransportError): void {
    if (!entry.failure.signal.aborted) entry.failure.abort(error);
  }

  /** The broker connection is gone: attempts still waiting on it fail, held offers lapse. */
  #lost(message: string): void {
    for (const entry of this.#entries.values()) if (!entry.answered || this.#destroyed) this.#fail(entry, new TransportError('signaling', message));
    for (const [id, held] of this.#held) {
      this.#held.delete(id);
      held.gone.abort(new TransportError('signaling', message));
    }
  }

  #offer(message: BrokerMessage): void {
    const payload = OfferPayload.safeParse(message.payload);
    const remoteId = message.src;
    const connectionId = ConnectionId.safeParse((message.payload as { connectionId?: unknown } | undefined)?.connectionId);
    const refuse = (reason: string) => {
      if (remoteId && connectionId.success) this.#refuse(remoteId, connectionId.data, reason);
      this.options.log('debug', `${this.url}: refused an offer from ${remoteId ?? 'an unknown peer'}: ${reason}`);
    };
    if (!remoteId || !payload.success) return refuse('this peer only takes reliable raw data connections from WhatNext peers');
    const id = payload.data.connectionId;
    if (this.#held.has(id) || this.#entries.has(id)) return; // a repeated OFFER: ignore it
    const metadata = Metadata.safeParse(payload.data.metadata);
    if (!metadata.success) return refuse('the request does not say who is asking');
    if (metadata.data.id !== remoteId) return refuse('the request claims an id other than the one it is registered with');
    if (this.#held.size >= MAX_HELD_OFFERS) return refuse('too many pending requests; try again later');

    const gone = new AbortController();
    const held: Held = {
      gone,
      message: { type: 'OFFER', src: remoteId, payload: payload.data },
      candidates: [],
      offer: {
        remoteId: metadata.data.id,
        connectionId: id,
        metadata: metadata.data,
        sdp: payload.data.sdp.sdp,
        gone: gone.signal,
        release: (descriptions) => this.#release(id, descriptions),
        refuse: (reason: string) => {
          if (this.#held.get(id) !== held) return;
          this.#held.delete(id);
          this.#refuse(remoteId, id, reason);
        },
      },
    };
    this.#held.set(id, held);
    this.options.offer(held.offer);
  }

  #release(connectionId: string, descriptions: DescriptionListener): SessionConnection {
    const held = this.#held.get(connectionId);
    if (!held) {
      throw new TransportError('signaling', 'The request is no longer pending (the remote left or the broker connection dropped).');
    }
    const socket = this.#socket;
    if (!this.#peer?.open || !socket) throw new TransportError('signaling', `Not registered on the PeerJS broker at ${this.url}.`);
    this.#held.delete(connectionId);
    const entry = this.#entry(connectionId, held.offer.remoteId, false, descriptions);
    descriptions.description('remote', held.offer.sdp);
    this.#capturing = connectionId;
    this.#captured = undefined;
    try {
      socket.deliver(held.message); // PeerJS creates the connection and emits 'connection' now
    } finally {
      this.#capturing = undefined;
    }
    const conn = this.#captured as DataConnection | undefined;
    this.#captured = undefined;
    if (!conn) {
      this.#entries.delete(connectionId);
      throw new TransportError('signaling', 'PeerJS did not take the offer.');
    }
    // The candidates that came while the offer was held go in once our answer is made, as they
    // would reach a client that answered at once: handed in now, they queue on the engine ahead
    // of creating the answer and delay it. (Later ones pass straight, as for any client.)
    entry.heldCandidates = held.candidates;
    this.#watchOurDescription(conn, entry);
    return this.#sessionConnection(connectionId, held.offer.remoteId, conn, entry);
  }

  /** Our description as soon as the engine has made our offer or answer, before PeerJS applies
   * and sends it: our binding, and the proof over it, are then made meanwhile. After our
   * answer, the candidates held with the offer go in (behind the answer's application: PeerJS
   * applies it in the continuation that follows this one). */
  #watchOurDescription(conn: DataConnection, entry: Entry): void {
    const pc = conn.peerConnection as RTCPeerConnection | null;
    if (!pc) return;
    this.options.runtime.onLocalDescription(pc, (sdp) => {
      if (this.#entries.get(conn.connectionId) !== entry) return;
      entry.descriptions.description('local', sdp);
      const candidates = entry.heldCandidates;
      entry.heldCandidates = undefined;
      if (!candidates?.length) return;
      queueMicrotask(() => {
        if (this.#entries.get(conn.connectionId) === entry && takesCandidates(entry)) for (const candidate of candidates) this.#socket?.deliver(candidate);
      });
    });
  }

  #refuse(remoteId: string, connectionId: string, reason: string): void {
    this.#socket?.sendMessage({ type: 'EXPIRE', dst: remoteId, payload: { connectionId, reason: cleanReason(reason) } });
  }

  #answer(message: BrokerMessage): boolean {
    const payload = AnswerPayload.safeParse(message.payload);
    if (!payload.success) return false;
    const entry = this.#entries.get(payload.data.connectionId);
    if (!entry?.outgoing || entry.answered || entry.remoteId !== message.src) return false;
    entry.answered = true;
    entry.descriptions.description('remote', payload.data.sdp.sdp);
    return true;
  }

  #candidate(message: BrokerMessage): boolean {
    const payload = CandidatePayload.safeParse(message.payload);
    if (!payload.success) return false;
    const id = payload.data.connectionId;
    const held = this.#held.get(id);
    if (held) {
      if (held.offer.remoteId === message.src && held.candidates.length < MAX_HELD_CANDIDATES) {
        held.candidates.push({ type: 'CANDIDATE', src: message.src, payload: payload.data });
      }
      return false;
    }
    const entry = this.#entries.get(id);
    if (!entry || entry.remoteId !== message.src) return false;
    return takesCandidates(entry);
  }

  #expire(message: BrokerMessage): void {
    const refusal = RefusalPayload.safeParse(message.payload);
    if (refusal.success) {
      const entry = this.#entries.get(refusal.data.connectionId);
      if (entry?.outgoing && entry.remoteId === message.src) {
        this.#fail(entry, new RefusedByPeerError(cleanReason(refusal.data.reason)));
      }
      return;
    }
    // From the broker: an offer to `src` went unread because `src` is not registered there.
    for (const entry of this.#entries.values()) {
      if (entry.outgoing && !entry.answered && entry.remoteId === message.src) {
        this.#fail(entry, new TransportError('signaling', `The remote peer is not connected to the PeerJS broker at ${this.url}.`));
      }
    }
  }

  #leave(message: BrokerMessage): void {
    for (const entry of this.#entries.values()) {
      if (!entry.answered && entry.remoteId === message.src) {
        this.#fail(entry, new TransportError('signaling', `The remote peer left the PeerJS broker at ${this.url}.`));
      }
    }
    for (const [id, held] of this.#held) {
      if (held.offer.remoteId !== message.src) continue;
      this.#held.delete(id);
      held.gone.abort(new TransportError('signaling', 'The remote peer left the broker.'));
    }
  }
}

/** An aborted registration, as a `TransportError` at stage 'signaling'. */
export function abortError(signal: AbortSignal): TransportError {
  const reason: unknown = signal.reason;
  if (reason instanceof TransportError) return reason;
  return new TransportError('signaling', `The connection attempt was cancelled${reason instanceof Error ? `: ${reason.message}` : ''}.`, { cause: reason });
}
