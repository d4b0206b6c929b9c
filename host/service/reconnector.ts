/**
 * Known peers reconnect by themselves: whenever a known peer set to connect automatically has
 * no open connection and no attempt under way, the service dials it through a method that can
 * reach a peer by its id (`SignalingMethod.reach`: the PeerJS broker, by the peer's stable id)
 * and is connected to its server.
 *
 * Which method: `Failover` (failover.ts) tries the methods that can reach the peer in the
 * configured order, skipping one that is down and moving on from one that stays silent.
 *
 * When it tries: at start, as soon as such a method's server is reachable (a peer that comes up
 * dials the others at once: "both up" is then "open" within one connection time), when a
 * connection ends by failure (not by a person's "Disconnect"), and on a timer while a peer is
 * still missing (a peer that came up at the same moment, or a path that broke): `retryMs` after
 * a failed dial, doubling per failure up to `MAX_BACKOFF_MS` (an offline peer costs little; the
 * one that comes back dials at once anyway). Both sides may dial at once: the ConnectionManager
 * keeps one connection per pair. A peer whose user refused our reconnection is not dialled
 * again by itself (its user would be asked again and again).
 *
 * A person's "Disconnect" holds until "Reconnect", a connection that opens anyway, or the next
 * start: neither side dials by itself; the side that disconnected also asks its user about the
 * other's reconnection requests, while the other side accepts them (its "Reconnect" is how the
 * one who disconnected comes back).
 */
import type { ConnectionManager } from '../../core/kernel/connections';
import type { AttemptSummary, ConnectionSummary, KnownPeer } from '../../core/protocol';
import { WhatNextError, describe } from '../../core/errors';
import type { ServiceState } from './state';
import type { Failover } from './failover';

export interface ReconnectorOptions {
  /** How often a missing known peer is tried again. Default 5000. */
  retryMs?: number;
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
}

/** The longest wait between two dials of a missing peer. */
export const MAX_BACKOFF_MS = 60_000;

export class Reconnector {
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Peers our user disconnected from. */
  readonly #paused = new Set<string>();
  /** Peers whose user disconnected from us. */
  readonly #left = new Set<string>();
  /** Our reconnect attempt per peer, while under way. */
  readonly #dialling = new Map<string, string>();
  /** Per peer after failed dials: how many in a row, and not before when to try again. */
  readonly #backoff = new Map<string, { failures: number; notBefore: number }>();
  readonly #stops: (() => void)[] = [];
  readonly #retryMs: number;

  constructor(
    private readonly manager: ConnectionManager,
    private readonly failover: Failover,
    private readonly state: ServiceState,
    private readonly options: ReconnectorOptions = {},
  ) {
    this.#retryMs = options.retryMs ?? 5000;
  }

  start(): void {
    this.#stops.push(
      this.manager.on('health', ({ health }) => {
        if (health.state !== 'connected') return;
        // Back on the broker (after an outage, or from a new address): dials that failed before
        // say nothing about now.
        this.#backoff.clear();
        this.sweep();
      }),
      this.manager.on('connection', (connection) => this.#connectionChanged(connection)),
    );
    this.#timer = setInterval(() => this.sweep(), this.#retryMs);
    this.#timer.unref?.();
    this.sweep();
  }

  stop(): void {
    clearInterval(this.#timer);
    for (const stop of this.#stops.splice(0)) stop();
  }

  /** Whether our user disconnected from `peerId` (see above). */
  isPaused(peerId: string): boolean {
    return this.#paused.has(peerId);
  }

  /** "Reconnect": dial `peerId` now, and resume reconnecting it by itself. */
  reconnect(peerId: string): AttemptSummary {
    const peer = this.state.known(peerId);
    if (!peer) throw new WhatNextError('unknown_peer', `There is no known peer with id ${peerId}.`);
    this.#paused.delete(peerId);
    this.#left.delete(peerId);
    this.#backoff.delete(peerId);
    return this.#dial(peer);
  }

  /** Dial every known peer that should be connected and is not. */
  sweep(): void {
    if (!this.failover.reachOrder().some((method) => this.failover.isUp(method))) return;
    const connected = new Set(this.manager.connections().map((c) => c.remote.id));
    const now = Date.now();
    for (const peer of this.state.knownPeers) {
      const held = this.#paused.has(peer.id) || this.#left.has(peer.id) || now < (this.#backoff.get(peer.id)?.notBefore ?? 0);
      if (!peer.autoConnect || held || connected.has(peer.id) || this.#dialling.has(peer.id)) continue;
      try {
        this.#dial(peer);
      } catch (error) {
        this.options.log?.('debug', `could not reconnect ${peer.name}: ${describe(error)}`);
      }
    }
  }

  #dial(peer: KnownPeer): AttemptSummary {
    const run = this.failover.reach({ id: peer.id, name: peer.name });
    const { attempt } = run;
    if (attempt.state === 'connecting') {
      this.#dialling.set(peer.id, attempt.id);
      void run.settled.then((last) => this.#dialEnded(peer.id, attempt.id, last));
    }
    return attempt;
  }

  /** A dial (through one method or several in turn) ended with `attempt`, its last attempt. */
  #dialEnded(peer: string, first: string, attempt: AttemptSummary): void {
    if (this.#dialling.get(peer) !== first) return;
    this.#dialling.delete(peer);
    if (attempt.state === 'open') return void this.#backoff.delete(peer);
    // Its user said no: asking again by ourselves would ask them again and again.
    if (attempt.error?.code === 'refused_by_peer') return void this.#left.add(peer);
    const failures = (this.#backoff.get(peer)?.failures ?? 0) + 1;
    this.#backoff.set(peer, { failures, notBefore: Date.now() + Math.min(this.#retryMs * 2 ** (failures - 1), MAX_BACKOFF_MS) });
  }

  #connectionChanged(connection: ConnectionSummary): void {
    const peer = connection.remote.id;
    if (connection.state === 'open') {
      this.#paused.delete(peer);
      this.#left.delete(peer);
      this.#backoff.delete(peer);
    }
    // A connection that broke ends 'failed'; one a side closed ends 'closed'.
    if ((connection.state !== 'closed' && connection.state !== 'failed') || !connection.closeReason) return;
    const { code, by } = connection.closeReason;
    // A service that stops closes its connections too: the peer dials again when it is back.
    if (code === 'shutdown') return;
    // A person chose to end it.
    if (code === 'closed') return void (by === 'local' ? this.#paused : this.#left).add(peer);
    // A duplicate gave way to the connection that stays; anything else broke: try again now.
    if (code !== 'duplicate') queueMicrotask(() => this.sweep());
  }
}
