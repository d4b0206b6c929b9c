/**
 * Known peers reconnect by themselves: whenever a known peer set to connect automatically has
 * no open connection and no attempt under way, the service dials it through a method that can
 * reach a peer by its id (`SignalingMethod.reach`: the PeerJS broker, by the peer's stable id)
 * and is connected to its server.
 *
 * When it tries: at start, as soon as such a method's server is reachable (a peer that comes up
 * dials the others at once: "both up" is then "open" within one connection time), when a
 * connection ends by failure (not by a person's "Disconnect"), and every `retryMs` while a peer
 * is still missing (a peer that came up at the same moment, or a path that broke). Both sides
 * may dial at once: the ConnectionManager keeps one connection per pair.
 *
 * A person's "Disconnect" holds until "Reconnect", a connection that opens anyway, or the next
 * start: neither side dials by itself; the side that disconnected also asks its user about the
 * other's reconnection requests, while the other side accepts them (its "Reconnect" is how the
 * one who disconnected comes back).
 */
import type { ConnectionManager } from '../../core/kernel/connections';
import type { PluginHost } from '../../core/kernel/host';
import type { AttemptSummary, ConnectionSummary, KnownPeer } from '../../core/protocol';
import { WhatNextError, describe } from '../../core/errors';
import { SHUTTING_DOWN } from '../../core/kernel/connections';
import type { ServiceState } from './state';

export interface ReconnectorOptions {
  /** How often a missing known peer is tried again. Default 5000. */
  retryMs?: number;
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
}

export class Reconnector {
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Peers our user disconnected from. */
  readonly #paused = new Set<string>();
  /** Peers whose user disconnected from us. */
  readonly #left = new Set<string>();
  /** Our reconnect attempt per peer, while under way. */
  readonly #dialling = new Map<string, string>();
  readonly #stops: (() => void)[] = [];
  readonly #retryMs: number;

  constructor(
    private readonly manager: ConnectionManager,
    private readonly host: PluginHost,
    private readonly state: ServiceState,
    private readonly options: ReconnectorOptions = {},
  ) {
    this.#retryMs = options.retryMs ?? 5000;
  }

  start(): void {
    this.#stops.push(
      this.manager.on('health', ({ health }) => {
        if (health.state === 'connected') this.sweep();
      }),
      this.manager.on('attempt', (attempt) => this.#attemptChanged(attempt)),
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
    const method = this.#method();
    if (!method) throw new WhatNextError('cannot_reach', 'No signaling method that can reach a peer by its id is connected to its server now.');
    return this.#dial(peer, method);
  }

  /** Dial every known peer that should be connected and is not. */
  sweep(): void {
    const method = this.#method();
    if (!method) return;
    const connected = new Set(this.manager.connections().map((c) => c.remote.id));
    for (const peer of this.state.knownPeers) {
      const held = this.#paused.has(peer.id) || this.#left.has(peer.id);
      if (!peer.autoConnect || held || connected.has(peer.id) || this.#dialling.has(peer.id)) continue;
      try {
        this.#dial(peer, method);
      } catch (error) {
        this.options.log?.('debug', `could not reconnect ${peer.name}: ${describe(error)}`);
      }
    }
  }

  #dial(peer: KnownPeer, method: string): AttemptSummary {
    const attempt = this.manager.reach(method, { id: peer.id, name: peer.name });
    if (attempt.state === 'connecting') this.#dialling.set(peer.id, attempt.id);
    return attempt;
  }

  /** The first method that can reach peers by id, with its server reachable now (or that
   * reports no health: it needs no server). */
  #method(): string | undefined {
    for (const method of this.host.signaling.list()) {
      if (!method.reach) continue;
      const health = this.manager.health(method.name);
      if (!health || health.state === 'connected') return method.name;
    }
    return undefined;
  }

  #attemptChanged(attempt: AttemptSummary): void {
    const peer = attempt.remote.id;
    if (!peer || this.#dialling.get(peer) !== attempt.id) return;
    if (attempt.state !== 'connecting') this.#dialling.delete(peer);
  }

  #connectionChanged(connection: ConnectionSummary): void {
    const peer = connection.remote.id;
    if (connection.state === 'open') {
      this.#paused.delete(peer);
      this.#left.delete(peer);
    }
    if (connection.state !== 'closed' || !connection.closeReason) return;
    const { code, by, message } = connection.closeReason;
    // A service that stops closes its connections too: the peer dials again when it is back.
    if (code === 'closed' && by === 'remote' && message === SHUTTING_DOWN) return;
    // A person chose to end it.
    if (code === 'closed') return void (by === 'local' ? this.#paused : this.#left).add(peer);
    // A duplicate gave way to the connection that stays; anything else broke: try again now.
    if (code !== 'duplicate') queueMicrotask(() => this.sweep());
  }
}
