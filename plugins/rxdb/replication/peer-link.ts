/**
 * Replication with one remote peer over whatever core connections are open to it.
 *
 * Per collection it runs one RxDB `replicateWebRTC` pool whose only peer is this remote (so the
 * master side can be filtered for it, see filtered-master.ts), on a lane of its own (lane.ts).
 * A control channel carries what RxDB's protocol has no room for:
 *
 *   hello   {epoch}       sent on every new connection; a larger epoch restarts the pools
 *                         on it (they restarted already when the connection was added)
 *   epoch   {epoch}       a playlist excluded before is now shared: both sides restart on
 *                         the new epoch (see epochs.ts)
 *   busy    {busy}        whether this side is still catching up (for the sync status)
 *   revoked {notice}      the remote was removed from a playlist: the membership fields of
 *                         the owner's write, so it stops sending its edits (no other data)
 *   leave   {playlists}   this side left these playlists of the remote's: their owner takes
 *                         it off them with a write of its own (model/leaving.ts); sent on
 *                         every new connection until that write comes back
 *   counts  {counts}      how many tracks this side holds of each playlist the two share:
 *                         sent when the pools start or take over, and after local changes
 *                         (at most every COUNTS_EVERY_MS), for "N of M" (status.ts)
 *
 * Start and stop run one at a time, in order, so pools never overlap.
 *
 * A new connection does not wait for the remote's hello (the remote buffers what arrives on a
 * channel before it listens, core's channels). When pools run already on the epoch in force (a
 * connection before this one may have died unnoticed), they take the new one over and go on:
 * each lane sends its unanswered requests again on it, and a master side announces a RESYNC
 * so the remote's fork runs a checkpoint iteration for any change event lost on the way. So no
 * handshake and no new fork (which reads its checkpoints again) stand between the open and
 * the first documents. Otherwise the pools (re)start at once. Either way each side acts on its
 * own add; RxDB's handshake works against a remote pool of any age, and a lane hands what an
 * old pool left unanswered to the next one. A connection that goes away restarts the pools
 * only if their traffic went on it since they started or took over (`Lane.carried`): the one a
 * newer connection replaced carried nothing since, and restarting would only interrupt the
 * catch-up.
 */
import { z } from 'zod';
import type { Subscription } from 'rxjs';
import type { RxWebRTCReplicationPool } from 'rxdb/plugins/replication-webrtc';
import { type Connection, type Json, type Message, type Unsubscribe, describe } from '@whatnext/core';
import type { PlaylistCollections } from '../storage/database';
import { Sharing } from '../model/sharing';
import { ChannelConnectionHandler, type RemotePeer } from './channel-handler';
import type { Epochs } from './epochs';
import { filterMasterHandler } from './filtered-master';
import { keepNewerThanOurs } from './pulled';
import { Lane } from './lane';
import { poolView, type PoolView } from './pool-view';
import type { SyncStatus } from './status';

/** RxDB's WebRTC replication (and the signaling libraries it brings) loads with the first pool:
 * a session that never connects does not carry it. */
let replication: Promise<typeof import('rxdb/plugins/replication-webrtc')> | undefined;
const replicationPlugin = () => (replication ??= import('rxdb/plugins/replication-webrtc'));

export const CHANNELS = { playlists: 'rxdb.playlists', tracks: 'rxdb.tracks', control: 'rxdb.control' } as const;

export const MembershipNotice = z.object({
  id: z.string().max(64),
  owner: z.string().max(64),
  sharedWith: z.array(z.string().max(64)).max(256),
  revoked: z.array(z.string().max(64)).max(1024),
  clock: z.object({ sharedWith: z.string().max(128), revoked: z.string().max(128) }),
});
export type MembershipNotice = z.infer<typeof MembershipNotice>;

/** Tracks are recounted at most this often while changes come in (and once after the last). */
const COUNTS_EVERY_MS = 250;
const MAX_COUNTED_PLAYLISTS = 1024;

const Control = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('counts'),
    counts: z
      .record(z.string().max(64), z.number().int().nonnegative().max(10_000_000))
      .refine((counts) => Object.keys(counts).length <= MAX_COUNTED_PLAYLISTS, `at most ${MAX_COUNTED_PLAYLISTS} playlists`),
  }),
  z.object({ type: z.literal('hello'), epoch: z.number().int().nonnegative() }),
  z.object({ type: z.literal('epoch'), epoch: z.number().int().nonnegative() }),
  z.object({ type: z.literal('busy'), busy: z.boolean() }),
  z.object({ type: z.literal('revoked'), notice: MembershipNotice }),
  z.object({ type: z.literal('leave'), playlists: z.array(z.string().max(64)).max(MAX_COUNTED_PLAYLISTS) }),
]);
type Control = z.infer<typeof Control>;

export interface ReplicationTuning {
  /** Documents per pull and per push request. RxDB's default is 20. */
  batchSize: number;
  requestTimeoutMs: number;
  retryTimeMs: number;
}

export interface LinkServices {
  collections: PlaylistCollections;
  sharing: Sharing;
  epochs: Epochs;
  status: SyncStatus;
  tuning: ReplicationTuning;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  /** The membership fields of a playlist, to tell a removed peer. */
  membershipNotice(playlist: string): Promise<MembershipNotice | undefined>;
  applyMembershipNotice(from: string, notice: MembershipNotice): Promise<void>;
  /** How many tracks this side holds of each of `playlists`. */
  trackCounts(playlists: readonly string[]): Promise<Record<string, number>>;
  /** Playlists of `owner`'s this peer left, to ask it to take this peer off. */
  leaving(owner: string): string[];
  /** `from` left these playlists: take it off those this peer owns. */
  removeLeaver(from: string, playlists: readonly string[]): Promise<void>;
}

interface Recount {
  timer?: NodeJS.Timeout;
  again: boolean;
}

interface RunningLane {
  lane: Lane;
  handler: ChannelConnectionHandler;
  pool: RxWebRTCReplicationPool<any, RemotePeer>;
  view: PoolView<any>;
  subscriptions: Subscription[];
  /** Which side of RxDB's master/fork pair this peer plays, once the handshake decided. */
  role: 'unknown' | 'master' | 'fork';
  initialDone: boolean;
  active: boolean;
}

export class PeerLink {
  readonly #connections: Connection[] = [];
  readonly #unsubscribe = new Map<Connection, Unsubscribe[]>();
  readonly #lanes: Lane[];
  #running: { epoch: number; lanes: RunningLane[] } | undefined;
  #queue: Promise<void> = Promise.resolve();
  /** A restart is queued and has not begun: it reads the connections and the epoch when it
   * runs, so further requests for one fold into it. */
  #restartQueued = false;
  /** Tasks queued or running. */
  #tasks = 0;
  #closed = false;
  #reportedBusy: boolean | undefined;
  readonly #noticesSent = new Set<string>();
  /** A recount is due (timer) or running; `again` when changes came during it. */
  #counting: Recount | undefined;

  constructor(
    readonly remote: string,
    private readonly services: LinkServices,
  ) {
    const view = { remote, primary: () => this.primary(), log: (message: string) => services.log('warn', message) };
    this.#lanes = (['playlists', 'tracks'] as const).map((name) => new Lane(name, CHANNELS[name], view, services.status));
  }

  get connected(): boolean {
    return this.#connections.length > 0;
  }

  /** The newest open connection: where new traffic goes. */
  primary(): Connection | undefined {
    for (let i = this.#connections.length - 1; i >= 0; i--) {
      if (this.#connections[i]!.state === 'open') return this.#connections[i];
    }
    return undefined;
  }

  add(connection: Connection): void {
    if (this.#closed || this.#connections.includes(connection)) return;
    this.#connections.push(connection);
    const offs = this.#lanes.map((lane) => connection.channel(lane.channel).onMessage((message) => lane.receive(message, connection)));
    offs.push(connection.channel(CHANNELS.control).onMessage((message) => this.#onControl(message)));
    this.#unsubscribe.set(connection, offs);
    if (this.#connections.length === 1) this.services.status.connected(this.remote, true);
    this.#reportedBusy = undefined;
    this.#noticesSent.clear();
    this.#send({ type: 'hello', epoch: this.#epoch() }, connection);
    this.askToLeave(connection);
    const running = this.#running;
    if (running && this.#tasks === 0 && running.epoch === this.#epoch()) this.#takeOver(running);
    else this.#restart();
  }

  /** Resolves once no start or stop is queued or running (tests wait for it). */
  async settled(): Promise<void> {
    while (this.#tasks > 0) await this.#queue;
  }

  remove(connection: Connection): void {
    const index = this.#connections.indexOf(connection);
    if (index < 0) return;
    this.#connections.splice(index, 1);
    for (const off of this.#unsubscribe.get(connection) ?? []) off();
    this.#unsubscribe.delete(connection);
    const carried = this.#lanes.some((lane) => lane.carried(connection));
    if (this.#connections.length > 0) {
      if (carried) this.#restart();
      return;
    }
    this.services.status.connected(this.remote, false);
    this.#schedule(async () => {
      await this.#stopPools();
      if (this.#connections.length === 0) for (const lane of this.#lanes) lane.reset();
    });
  }

  /** What is shared with the remote changed here; `raised` when the epoch went up. */
  sharingChanged(raised: boolean): void {
    if (!this.connected) return;
    if (raised) {
      this.#send({ type: 'epoch', epoch: this.#epoch() });
      this.#restart();
    } else {
      void this.#sendNotices();
    }
  }

  /** Ask the remote to take this peer off the playlists of its that this peer left. */
  askToLeave(connection = this.primary()): void {
    const playlists = this.services.leaving(this.remote);
    if (playlists.length > 0) this.#send({ type: 'leave', playlists }, connection);
  }

  /** Tracks changed here: the remote hears the new counts soon (see COUNTS_EVERY_MS). */
  tracksChanged(): void {
    if (!this.connected || this.#closed) return;
    if (this.#counting) {
      this.#counting.again = true;
      return;
    }
    const counting: Recount = { again: false };
    this.#counting = counting;
    counting.timer = setTimeout(() => void this.#sendCounts(counting), COUNTS_EVERY_MS);
  }

  async #sendCounts(counting?: Recount): Promise<void> {
    try {
      const counts = await this.services.trackCounts([...this.services.sharing.sharedWith(this.remote)]);
      if (this.#closed || !this.connected) return;
      this.services.status.tracks(this.remote, 'local', counts);
      this.#send({ type: 'counts', counts });
    } catch (error) {
      this.services.log('debug', `could not count the tracks shared with ${this.remote}: ${describe(error)}`);
    } finally {
      if (counting && this.#counting === counting) {
        this.#counting = undefined;
        if (counting.again) this.tracksChanged();
      }
    }
  }

  /** Stop for good (the host is stopping). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#counting?.timer);
    this.#counting = undefined;
    for (const connection of [...this.#connections]) this.remove(connection);
    await this.#queue;
  }

  #epoch(): number {
    return this.services.epochs.epoch(this.remote);
  }

  #onControl(raw: Message): void {
    const parsed = Control.safeParse(raw);
    if (!parsed.success) return this.services.log('warn', `ignored a malformed replication control message from ${this.remote}`);
    const message = parsed.data;
    switch (message.type) {
      case 'hello':
      case 'epoch': {
        const epoch = this.services.epochs.adopt(this.remote, message.epoch);
        if (this.#running && epoch > this.#running.epoch) this.#restart();
        return;
      }
      case 'busy':
        return this.services.status.remoteBusy(this.remote, message.busy);
      case 'counts':
        return this.services.status.tracks(this.remote, 'remote', message.counts);
      case 'revoked':
        void this.services
          .applyMembershipNotice(this.remote, message.notice)
          .catch((error: unknown) => this.services.log('warn', `could not apply a membership notice from ${this.remote}: ${describe(error)}`));
        return;
      case 'leave':
        void this.services
          .removeLeaver(this.remote, message.playlists)
          .catch((error: unknown) => this.services.log('warn', `could not take ${this.remote} off the playlists it left: ${describe(error)}`));
        return;
    }
  }

  #send(message: Control, connection = this.primary()): void {
    connection
      ?.channel(CHANNELS.control)
      .send(message as Json)
      .catch((error: unknown) => this.services.log('debug', `control message to ${this.remote} not sent: ${describe(error)}`));
  }

  #restart(): void {
    if (this.#restartQueued) return;
    this.#restartQueued = true;
    this.#schedule(async () => {
      this.#restartQueued = false;
      await this.#stopPools();
      if (this.connected && !this.#closed) await this.#startPools(this.#epoch());
    });
  }

  #schedule(task: () => Promise<void>): void {
    this.#tasks++;
    this.#queue = this.#queue
      .then(task)
      .catch((error: unknown) => {
        this.services.status.error(this.remote, describe(error));
        this.services.log('error', `replication with ${this.remote} failed: ${describe(error)}`);
      })
      .finally(() => this.#tasks--);
  }

  /** The running pools go on over the newest connection (see the top of this file). */
  #takeOver(running: { lanes: RunningLane[] }): void {
    const failed = (error: unknown) => this.services.log('debug', `replication with ${this.remote} could not go on the new connection: ${describe(error)}`);
    for (const entry of running.lanes) {
      entry.lane.resend().catch(failed);
      if (entry.role === 'master') entry.handler.send(entry.handler.peer, { id: 'masterChangeStream$', result: 'RESYNC' }).catch(failed);
    }
    // What a start sends on a new connection.
    this.#reportBusy();
    this.#sendNotices().catch(failed);
    void this.#sendCounts();
  }

  async #startPools(epoch: number): Promise<void> {
    const peer: RemotePeer = { id: this.remote };
    const running: { epoch: number; lanes: RunningLane[] } = { epoch, lanes: [] };
    this.#running = running;
    const { batchSize, requestTimeoutMs, retryTimeMs } = this.services.tuning;
    for (const lane of this.#lanes) {
      const collection = this.services.collections[lane.collection];
      const remoteMaySee = (doc: { id: string; playlist?: string }) => this.services.sharing.visible(this.remote, lane.collection, doc);
      const visible = (doc: { id: string; playlist?: string }) => {
        if (remoteMaySee(doc)) return true;
        this.services.epochs.excluded(this.remote, Sharing.playlistOf(lane.collection, doc));
        return false;
      };
      const handler = new ChannelConnectionHandler(peer, (message) => lane.transmit(message));
      // RxDB's close hooks for this pool go with the view, not onto the collection (pool-view.ts).
      const view = poolView<any>(collection);
      const { replicateWebRTC } = await replicationPlugin();
      const pool = await replicateWebRTC<any, RemotePeer>({
        collection: view.collection,
        // Names the fork's checkpoint: a new epoch starts from none (see epochs.ts).
        topic: `whatnext-e${epoch}`,
        connectionHandlerCreator: async () => handler,
        pull: { batchSize, modifier: keepNewerThanOurs(collection, remoteMaySee) },
        push: { batchSize, modifier: (doc) => (visible(doc) ? doc : null) },
        requestTimeout: requestTimeoutMs,
        retryTime: retryTimeMs,
      }).catch((error: unknown) => {
        view.release();
        throw error;
      });
      filterMasterHandler(pool, collection, visible);
      const entry: RunningLane = { lane, handler, pool, view, subscriptions: [], role: 'unknown', initialDone: false, active: false };
      running.lanes.push(entry);
      this.#watch(entry, peer);
      lane.attach(handler);
      handler.open();
    }
    this.#reportBusy();
    await this.#sendNotices();
    void this.#sendCounts();
  }

  #watch(entry: RunningLane, peer: RemotePeer): void {
    entry.subscriptions.push(
      entry.pool.error$.subscribe((error) => {
        this.services.status.error(this.remote, describe(error));
        this.services.log('debug', `replication of ${entry.lane.collection} with ${this.remote}: ${describe(error)}`);
      }),
      entry.pool.peerStates$.subscribe((states) => {
        const state = states.get(peer);
        if (!state || entry.role !== 'unknown') return;
        const replication = state.replicationState;
        entry.role = replication ? 'fork' : 'master';
        if (replication) {
          entry.subscriptions.push(
            replication.active$.subscribe((active) => {
              entry.active = active;
              this.#reportBusy();
            }),
          );
          replication.awaitInitialReplication().then(
            () => {
              entry.initialDone = true;
              this.#reportBusy();
            },
            () => undefined,
          );
        }
        this.#reportBusy();
      }),
    );
  }

  /** Busy: pools not started, roles not settled, or a fork still catching up. */
  #reportBusy(): void {
    const running = this.#running;
    const busy =
      !running ||
      running.lanes.length < this.#lanes.length ||
      running.lanes.some((l) => l.role === 'unknown' || (l.role === 'fork' && (!l.initialDone || l.active)));
    this.services.status.localBusy(this.remote, busy);
    if (busy === this.#reportedBusy) return;
    this.#reportedBusy = busy;
    this.#send({ type: 'busy', busy });
  }

  async #stopPools(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    this.#running = undefined;
    for (const entry of running.lanes) {
      entry.lane.detach();
      for (const subscription of entry.subscriptions) subscription.unsubscribe();
      // Close first: requests in flight fail now instead of at their timeout.
      await entry.handler.close();
      try {
        await entry.pool.cancel();
      } finally {
        entry.view.release();
      }
    }
  }

  async #sendNotices(): Promise<void> {
    for (const playlist of this.services.sharing.revokedFrom(this.remote)) {
      const notice = await this.services.membershipNotice(playlist);
      if (!notice) continue;
      const key = `${playlist} ${notice.clock.sharedWith}`;
      if (this.#noticesSent.has(key)) continue;
      this.#noticesSent.add(key);
      this.#send({ type: 'revoked', notice });
    }
  }
}
