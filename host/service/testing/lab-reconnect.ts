/**
 * Reconnection scenarios over real service processes in the network lab, shared by
 * host/service/test/lab-reconnect.test.ts (each once) and `npm run soak` (bench/soak-reconnect.ts,
 * each many times, on many pairs at once). A pair is two services on hosts behind cone routers,
 * paired once through the lab's PeerJS broker, sharing one playlist; every scenario breaks
 * something in the lab's namespaces (a service, a link, an address, the broker) and returns what
 * it measured. Every wait is bounded; what the lab changed is undone by the scenario, and the lab
 * removes the rest at close.
 */
import { performance } from 'node:perf_hooks';
import type { ConnectionSummary } from '../../../core/protocol';
import { startCoturn, type Coturn } from '../../../tools/netlab/coturn';
import { run } from '../../../tools/netlab/exec';
import { createLab, type Lab, type LabHost } from '../../../tools/netlab/lab';
import { playlistsProtocol, type WithPlaylists } from '../../../plugins/rxdb/protocol';
import { eventually, songs, watch } from '../../../plugins/rxdb/testing/harness';
import { Tracker, connectBroker } from './flows';
import { LAB_TURN_USER, labIceServers, startLabBroker, startLabService, type LabBroker } from './lab';
import { followPhases, type PhaseFollower, type PhaseTimes } from './phases';
import type { SpawnedService } from './spawn';

/** Bound on each wait for the network (not a measurement). */
export const HEAL_WAIT_MS = 90_000;

/** Rejects with `what` if `promise` has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms waiting for ${what()}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The scenario's own wait (an outage lasting its length), never a synchronisation. */
const hold = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ReconnectLab {
  lab: Lab;
  turn: Coturn;
  broker: LabBroker;
  /** Kills the broker (SIGKILL) and starts it again on the same address, when asked. */
  restartBroker(): Promise<LabBroker>;
  close(): Promise<void>;
}

/** A lab with coturn and a PeerJS broker on the public segment. */
export async function createReconnectLab(): Promise<ReconnectLab> {
  const lab = await createLab();
  try {
    const turn = await startCoturn(lab, { auth: { mode: 'long-term', ...LAB_TURN_USER } });
    const handle: ReconnectLab = {
      lab,
      turn,
      broker: await startLabBroker(lab),
      async restartBroker() {
        handle.broker = await startLabBroker(lab, handle.broker.port);
        return handle.broker;
      },
      close: () => lab.close(),
    };
    return handle;
  } catch (error) {
    await lab.close();
    throw error;
  }
}

export interface LabPeer {
  host: LabHost;
  name: string;
  service: SpawnedService<WithPlaylists>;
  client: SpawnedService<WithPlaylists>['client'];
  tracker: Tracker;
  id: string;
}

type Side = 'a' | 'b';
const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');

/** What an outage or a move measured: from the network back (or the move) to both sides open
 * to each other again and holding every track, and the documents' account. */
export interface Healed {
  /** Network back → both sides hold the same, complete track set over an open connection. */
  healMs: number;
  /** Whether the connection from before was replaced by a new one. */
  replaced: boolean;
  lost: number;
  duplicated: number;
  /** When each side saw what, ms from the same start as `healMs` (see phases.ts). */
  phases: PhaseTimes;
}

export class ReconnectPair {
  a!: LabPeer;
  b!: LabPeer;
  playlistId!: string;
  /** Every track id added on either side, with its title. */
  readonly expected = new Map<string, string>();
  #edits = 0;

  private constructor(
    readonly env: ReconnectLab,
    readonly index: number,
  ) {}

  /** Two cone hosts `a<index>`, `b<index>`, their services paired once over the broker, with a
   * playlist of `a`'s shared with `b` and replicated. */
  static async start(env: ReconnectLab, index: number): Promise<ReconnectPair> {
    const pair = new ReconnectPair(env, index);
    const [ha, hb] = await Promise.all([env.lab.host(`a${index}`, 'cone'), env.lab.host(`b${index}`, 'cone')]);
    [pair.a, pair.b] = await Promise.all([pair.#startPeer(ha, `A${index}`), pair.#startPeer(hb, `B${index}`)]);
    await within(connectBroker(pair.a.tracker, pair.b.tracker), HEAL_WAIT_MS, () => `pair ${index} to connect over the broker`);
    const playlist = await pair.a.service.client.request('playlists.create', { name: `Pair ${index}` });
    pair.playlistId = playlist.id;
    await pair.a.service.client.request('playlists.share', { playlistId: playlist.id, peerId: pair.b.id });
    await pair.edit('a', 2);
    await pair.converged();
    return pair;
  }

  async #startPeer(host: LabHost, name: string): Promise<LabPeer> {
    const service = await startLabService<WithPlaylists>(this.env.lab, host, name, {
      iceServers: labIceServers(this.env.turn),
      broker: this.env.broker,
      protocols: [playlistsProtocol],
    });
    const id = (await service.client.request('service.status', {})).local.id;
    return watch({ host, name, service, client: service.client, tracker: new Tracker(service.client), id });
  }

  peer(side: Side): LabPeer {
    return side === 'a' ? this.a : this.b;
  }

  /** Open connections of `side` to the other side, as its service lists them now. */
  async openConnections(side: Side): Promise<ConnectionSummary[]> {
    const [me, them] = [this.peer(side), this.peer(other(side))];
    return (await me.service.client.request('connections.list', {})).filter((c) => c.remote.id === them.id && c.state === 'open');
  }

  /** Resolves once each side has an open connection to the other that is not in `except`. */
  bothOpen(except: ReadonlySet<string> = new Set()): Promise<[ConnectionSummary, ConnectionSummary]> {
    const open = (me: LabPeer, them: LabPeer) => me.tracker.anyConnection((c) => c.remote.id === them.id && c.state === 'open' && !except.has(c.id));
    return within(Promise.all([open(this.a, this.b), open(this.b, this.a)]), HEAL_WAIT_MS, () => `pair ${this.index} to open again`);
  }

  /** Adds `count` tracks on `side` to the shared playlist. */
  async edit(side: Side, count: number): Promise<void> {
    const tracks = await this.peer(side).service.client.request('tracks.add', {
      playlistId: this.playlistId,
      tracks: songs(`${side}${this.index}-${this.#edits++}`, count),
    });
    for (const track of tracks) this.expected.set(track.id, track.title);
  }

  /** Waits until both sides hold exactly the expected tracks (event-driven); returns the account
   * of lost and duplicated ones at that point or at the bound. */
  async converged(timeoutMs = HEAL_WAIT_MS): Promise<{ lost: number; duplicated: number }> {
    const account = async () => {
      const sides = await Promise.all([this.a, this.b].map((p) => p.service.client.request('playlists.get', { playlistId: this.playlistId })));
      let lost = 0;
      let duplicated = 0;
      for (const { tracks } of sides) {
        const ids = new Set(tracks.map((t) => t.id));
        lost += [...this.expected.keys()].filter((id) => !ids.has(id)).length;
        duplicated += tracks.length - ids.size + [...ids].filter((id) => !this.expected.has(id)).length;
        const titles = tracks.map((t) => t.title);
        duplicated += titles.length - new Set(titles).size;
      }
      return { lost, duplicated };
    };
    try {
      return await eventually(
        async () => {
          const now = await account();
          if (now.lost > 0 || now.duplicated > 0) throw new Error(`pair ${this.index}: ${now.lost} lost, ${now.duplicated} duplicated`);
          return now;
        },
        // This pair's events only: with many pairs at once, every event waking every pair's check
        // would load the services with queries.
        { timeoutMs, clients: [this.a.client, this.b.client] },
      );
    } catch {
      return account();
    }
  }

  /** (a) `side` stops gracefully and starts again: ms from both up to open on both sides. */
  async restart(side: Side): Promise<number> {
    const gone = this.peer(side);
    const stays = this.peer(other(side));
    const before = new Set((await this.openConnections(other(side))).map((c) => c.id));
    await gone.service.stop();
    gone.tracker.stop();
    await within(
      stays.tracker.anyConnection((c) => before.has(c.id) && c.state !== 'open'),
      HEAL_WAIT_MS,
      () => `pair ${this.index}: the other side to see the stop`,
    );
    const fresh = await this.#startPeer(gone.host, gone.name);
    const up = performance.now();
    if (side === 'a') this.a = fresh;
    else this.b = fresh;
    await this.bothOpen(before);
    return performance.now() - up;
  }

  /** The interface of the router's side of `side`'s link (its lan veth). */
  async #lanInterface(host: LabHost): Promise<string> {
    const gateway = host.address.replace(/\.\d+$/, '.1');
    const lines = (await host.router!.exec('ip', ['-o', '-4', 'addr', 'show'])).split('\n');
    const line = lines.find((l) => l.includes(` ${gateway}/`));
    if (!line) throw new Error(`no interface with ${gateway} on ${host.name}'s router`);
    return line.split(/\s+/)[1]!;
  }

  /** (b) The link between `side`'s host and its router is down for `outageMs`; `edits` tracks
   * are added on each side while apart. */
  async outage(side: Side, outageMs: number, edits = 3): Promise<Healed> {
    const host = this.peer(side).host;
    const lan = await this.#lanInterface(host);
    const before = await this.#connectionIds();
    const phases = this.#followPhases(before, side, 'cut');
    const down = performance.now();
    await run('ip', ['-n', host.router!.namespace, 'link', 'set', lan, 'down']);
    let up: number;
    try {
      await Promise.all([this.edit('a', edits), this.edit('b', edits)]);
      await hold(Math.max(0, outageMs - (performance.now() - down)));
    } finally {
      // From before the command: the link may be up a while before `ip` returns on a busy machine.
      up = performance.now();
      await run('ip', ['-n', host.router!.namespace, 'link', 'set', lan, 'up']);
      phases.mark('link up (ip returned)');
    }
    return this.#healed(up, before, phases);
  }

  /** (c) `side`'s host moves to the next free address on its network (the old one removed, the
   * default route kept); an edit is made on each side right after. */
  async move(side: Side, edits = 3): Promise<Healed> {
    const host = this.peer(side).host;
    const lines = (await host.exec('ip', ['-o', '-4', 'addr', 'show'])).split('\n');
    const line = lines.find((l) => / 10\.0\.\d+\.\d+\//.test(l))!;
    const [, dev, , cidr] = line.split(/\s+/) as [string, string, string, string];
    const [address, prefix] = cidr.split('/') as [string, string];
    const parts = address.split('.');
    const next = `${parts.slice(0, 3).join('.')}.${Number(parts[3]) + 1}`;
    const gateway = `${parts.slice(0, 3).join('.')}.1`;
    const before = await this.#connectionIds();
    const phases = this.#followPhases(before, side, 'moved');
    // The new address first, promoted when the old goes: the route and the link stay.
    await host.exec('sysctl', ['-q', '-w', `net.ipv4.conf.${dev}.promote_secondaries=1`]);
    await host.exec('ip', ['addr', 'add', `${next}/${prefix}`, 'dev', dev]);
    const moved = performance.now(); // the old address goes with the next command
    // One `ip`, entering the namespace itself (no `ip netns exec`): on a busy machine each such
    // start takes a while, and the edits below wait for it.
    await run('ip', ['-n', host.namespace, '-batch', '-'], { input: `address del ${address}/${prefix} dev ${dev}\nroute replace default via ${gateway}\n` });
    phases.mark('the old address removed (ip returned)');
    await Promise.all([this.edit('a', edits), this.edit('b', edits)]);
    return this.#healed(moved, before, phases);
  }

  /** The ids of both sides' open connections to each other. */
  async #connectionIds(): Promise<Set<string>> {
    const [a, b] = await Promise.all([this.openConnections('a'), this.openConnections('b')]);
    return new Set([...a, ...b].map((c) => c.id));
  }

  /** Stamps named after what happened to each side: `broke` for `side`, 'other' for the other. */
  #followPhases(before: ReadonlySet<string>, side: Side, broke: string): PhaseFollower {
    return followPhases({ [broke]: this.peer(side).client, other: this.peer(other(side)).client }, before);
  }

  /** Healed: both sides hold every edit (the time), over a connection open on both. Then a
   * connection from before that one side still holds open (it carried no traffic since: a new
   * one took over while it is probed, see ConnectionManager #weighOlder) is waited out, and
   * the pair must be down to exactly one connection on each side. */
  async #healed(from: number, before: ReadonlySet<string>, phases: PhaseFollower): Promise<Healed> {
    let times: PhaseTimes | undefined;
    try {
      const { lost, duplicated } = await this.converged();
      const healMs = performance.now() - from;
      const single = (me: LabPeer, them: LabPeer) =>
        me.tracker.allConnections((all) => all.filter((c) => c.remote.id === them.id && c.state === 'open').length === 1);
      await within(Promise.all([single(this.a, this.b), single(this.b, this.a)]), HEAL_WAIT_MS, () => `pair ${this.index} to be down to one connection`).catch(
        () => undefined, // counted just below
      );
      times = { ...phases.stop(from), 'one connection each side': Math.round(performance.now() - from) };
      const open = await Promise.all([this.openConnections('a'), this.openConnections('b')]);
      if (open.some((list) => list.length !== 1))
        throw new Error(`pair ${this.index}: ${open.map((l) => l.length).join(' / ')} open connections after healing`);
      return { healMs, replaced: !before.has(open[0]![0]!.id), lost, duplicated, phases: times };
    } finally {
      if (!times) phases.stop(from);
    }
  }

  /** (e) Both sides, disconnected by a person, press "Reconnect" at the same moment: returns how
   * many connections each side has open once every attempt ended. */
  async dialBoth(): Promise<[number, number]> {
    const open = await this.openConnections('a');
    const theirs = await this.openConnections('b');
    for (const c of open) await this.a.service.client.request('connections.close', { connectionId: c.id, reason: 'closed by the user' });
    await within(
      Promise.all(theirs.map((c) => this.b.tracker.connection(c.id, (x) => x.state === 'closed'))),
      HEAL_WAIT_MS,
      () => `pair ${this.index}: the close`,
    );
    const seen = new Set([...this.a.tracker.attempts.keys(), ...this.b.tracker.attempts.keys()]);
    const [ra, rb] = await Promise.all([
      this.a.service.client.request('peers.reconnect', { peerId: this.b.id }),
      this.b.service.client.request('peers.reconnect', { peerId: this.a.id }),
    ]);
    const ended = (t: Tracker, id: string) => t.attempt(id, (s) => s.state !== 'connecting' && s.state !== 'awaiting-approval');
    await within(Promise.all([ended(this.a.tracker, ra.id), ended(this.b.tracker, rb.id)]), HEAL_WAIT_MS, () => `pair ${this.index}: both dials to end`);
    // Incoming attempts the two dials made on the other side end too.
    const incoming = (t: Tracker) => [...t.attempts.values()].filter((x) => !seen.has(x.id));
    await within(
      Promise.all(
        [...incoming(this.a.tracker), ...incoming(this.b.tracker)].map((x) =>
          this.a.tracker.attempts.has(x.id) ? ended(this.a.tracker, x.id) : ended(this.b.tracker, x.id),
        ),
      ),
      HEAL_WAIT_MS,
      () => `pair ${this.index}: the incoming attempts to end`,
    );
    await this.bothOpen(new Set([...open, ...theirs].map((c) => c.id)));
    const counts = await Promise.all([this.openConnections('a'), this.openConnections('b')]);
    return [counts[0].length, counts[1].length];
  }

  async stop(): Promise<void> {
    for (const p of [this.a, this.b]) p?.tracker.stop();
    await Promise.all([this.a, this.b].map((p) => p?.service.stop()));
  }
}

/** (d) The broker is killed while `pairs` are connected; every connection must stay open while
 * it is down (checked once both services of every pair say the broker is lost); it comes back on
 * the same address: ms from its start to each service's registration. */
export async function brokerOutage(env: ReconnectLab, pairs: readonly ReconnectPair[]): Promise<{ stayedOpen: boolean; registrationMs: number[] }> {
  const peers = pairs.flatMap((p) => [p.a, p.b]);
  const before = await Promise.all(pairs.map((p) => p.openConnections('a')));
  const health = (p: LabPeer, state: string) =>
    new Promise<void>((resolve) => {
      const off = p.service.client.on('signaling.health', (h) => {
        if (h.method === 'peerjs' && h.health.state === state) {
          off();
          resolve();
        }
      });
    });
  const lost = peers.map((p) => health(p, 'retrying'));
  await env.broker.process.stop('SIGKILL');
  await within(Promise.all(lost), HEAL_WAIT_MS, () => 'every service to see the broker gone');
  const during = await Promise.all(pairs.map((p) => p.openConnections('a')));
  const stayedOpen = during.every((list, i) => list.length === 1 && list[0]!.id === before[i]![0]?.id);
  const registered = peers.map((p) => health(p, 'connected').then(() => performance.now()));
  await env.restartBroker();
  const started = performance.now();
  const at = await within(Promise.all(registered), HEAL_WAIT_MS, () => 'every service to register again');
  return { stayedOpen, registrationMs: at.map((t) => Math.max(0, t - started)) };
}

/** Processes still running in the lab's host namespaces (not the public segment's servers). */
export async function leftoverProcesses(env: ReconnectLab): Promise<string[]> {
  const hostNamespaces = env.lab.namespaces().filter((ns) => ns !== env.lab.public.namespace);
  const left: string[] = [];
  for (const ns of hostNamespaces) {
    const pids = (await run('ip', ['netns', 'pids', ns])).split('\n').filter((l) => l.trim() !== '');
    if (pids.length > 0) left.push(`${ns}: ${pids.join(' ')}`);
  }
  return left;
}
