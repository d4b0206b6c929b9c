/**
 * The connection matrix across real networks: real service processes (host/service/testing/
 * lab.ts) on hosts of the network lab (tools/netlab), one behind each kind of router, with the
 * lab's coturn for STUN and TURN and a PeerJS broker on the public segment. For both signaling
 * methods (manual codes over simple-peer, and peerjs) every unordered pair of router kinds
 * connects, carries a message each way and reports the path it settles on; with STUN alone the
 * pairs that need a relay fail at `ice`, saying so; and a 5,000-track playlist converges over a
 * direct path, a relay over UDP, a relay over TCP and a relay over TLS. The matrix is printed as
 * a markdown table (the README's "Connecting across the internet" copies it).
 *
 * TURN over TLS is configured for the matrix's services (as a user would list it) but never used
 * by them: @roamhq/wrtc's libwebrtc checks a TURN server's certificate against the roots compiled
 * into it only, and passes no `tlsCertPolicy` from RTCIceServer (its binding reads urls, username
 * and credential alone), so the lab's own certificate can never be trusted
 * (tools/netlab/raw-webrtc.test.ts shows it: icecandidateerror 701). The relayed-over-TLS row runs
 * two more services on the werift engine, which trusts the lab's certificate (`turnTlsCa`), both
 * behind UDP-blocking routers with TURN listed only as `turns:`: TLS is their only way out.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConnectionPath } from '../../../core/index';
import type { AttemptSummary } from '../../../core/protocol';
import { startCoturn, type Coturn } from '../../../tools/netlab/coturn';
import { createLab, type Lab, type LabHost } from '../../../tools/netlab/lab';
import { ROUTER_KINDS, type RouterKind } from '../../../tools/netlab/routers';
import { describeLab } from '../../../tools/netlab/support';
import { playlistsProtocol, type WithPlaylists } from '../../../plugins/rxdb/protocol';
import { eventually, songs, watch } from '../../../plugins/rxdb/testing/harness';
import { Tracker, invite } from '../testing/flows';
import { LAB_TURN_USER, labIceServers, startLabBroker, startLabService, type IceServer, type LabBroker, type LabServiceOptions } from '../testing/lab';
import type { SpawnedService } from '../testing/spawn';

type Method = 'manual' | 'peerjs';
const METHODS: readonly Method[] = ['manual', 'peerjs'];
const METHOD_TITLE: Record<Method, string> = { manual: 'manual + simple-peer', peerjs: 'peerjs' };

/** Bounds for waits on the network (none of them a measurement). ICE gives up after about 15 s. */
const ATTEMPT_MS = 45_000;
/** How long a pair may take to move to the path it settles on after opening. */
const SETTLE_MS = 20_000;
/** How long after one side's end the other's may come (both see ICE give up at about the same time). */
const OTHER_SIDE_MS = 20_000;
const SYNC_MS = 90_000;
const TRACKS = 5_000;

type Pair = readonly [RouterKind, RouterKind];
/** The TLS row of the printed matrix (its own two services, see `tlsPeers`). */
const TLS_ROW = 'udp-blocked ↔ udp-blocked, werift, TURN only as turns:';
const PAIRS: readonly Pair[] = ROUTER_KINDS.flatMap((x, i) => ROUTER_KINDS.slice(i).map((y) => [x, y] as const));
const title = ([x, y]: Pair) => `${x} ↔ ${y}`;

/**
 * The path a pair must settle on with STUN and TURN, from tools/netlab/README.md's raw matrix:
 * direct where both sides map endpoint-independently or one is public; a relay over UDP where a
 * symmetric NAT meets a cone or another symmetric one; and where UDP is blocked, TCP on the blocked
 * side: a TURN/TCP relay, or (towards a public host only) ICE-TCP straight to it.
 */
type Expected = 'direct' | 'relayed-udp' | 'relayed-tcp' | 'relayed-tcp-or-direct' | 'relayed-tls';
function expected([x, y]: Pair): Expected {
  const kinds = new Set([x, y]);
  if (kinds.has('udp-blocked')) return kinds.has('none') ? 'relayed-tcp-or-direct' : 'relayed-tcp';
  if (kinds.has('none')) return 'direct';
  return kinds.has('symmetric') ? 'relayed-udp' : 'direct';
}
/** Whether a pair has a path with STUN alone: the direct ones (ICE-TCP towards a public host may
 * or may not be found: either outcome is allowed there). */
const needsRelay = (pair: Pair) => expected(pair) === 'relayed-udp' || expected(pair) === 'relayed-tcp';

/** Both sides' paths, each as its own end reports it (local → remote candidate). */
interface PairPaths {
  a: ConnectionPath;
  b: ConnectionPath;
}

/** Whether the two sides' paths are what `want` says, for the kinds `[x, y]` (a on x, b on y). */
function matches(want: Expected, [x, y]: Pair, { a, b }: PairPaths): boolean {
  const relayed = a.kind === 'relayed' || b.kind === 'relayed';
  const sides = [
    [x, a],
    [y, b],
  ] as const;
  // A side relays through its own TURN allocation over UDP unless its router blocks UDP.
  const ownRelay = (kind: RouterKind, p: ConnectionPath) => p.local !== 'relay' || p.relayProtocol === (kind === 'udp-blocked' ? 'tcp' : 'udp');
  const blockedUseTcp = sides.every(([kind, p]) => kind !== 'udp-blocked' || (p.local === 'relay' && p.relayProtocol === 'tcp'));
  switch (want) {
    case 'direct':
      return !relayed;
    case 'relayed-udp':
      return relayed && sides.every(([kind, p]) => ownRelay(kind, p));
    case 'relayed-tcp':
      return relayed && blockedUseTcp && sides.every(([kind, p]) => ownRelay(kind, p));
    case 'relayed-tcp-or-direct':
      return !relayed || (blockedUseTcp && sides.every(([kind, p]) => ownRelay(kind, p)));
    // Both sides through their own relay, reached over TLS (the TLS row: nothing else gets out).
    case 'relayed-tls':
      return sides.every(([, p]) => p.kind === 'relayed' && p.local === 'relay' && p.relayProtocol === 'tls');
  }
}

const describePath = (p: ConnectionPath) => `${p.local}${p.local === 'relay' && p.relayProtocol ? `(${p.relayProtocol})` : ''}→${p.remote}`;
function label({ a, b }: PairPaths): string {
  const relayed = [a, b].filter((p) => p.kind === 'relayed');
  const protocols = [...new Set(relayed.flatMap((p) => (p.relayProtocol ? [p.relayProtocol] : [])))];
  const kind = relayed.length === 0 ? 'direct' : `relayed (${protocols.join('+') || 'remote relay'})`;
  return `${kind}: ${describePath(a)} / ${describePath(b)}`;
}

/** Rejects with `what` if `promise` has not settled within `ms` (every wait here is bounded). */
async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms waiting for ${what()}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Peer {
  host: LabHost;
  client: SpawnedService<WithPlaylists>['client'];
  service: SpawnedService<WithPlaylists>;
  tracker: Tracker;
  id: string;
}

/** One side of an attempt that did not open: its last summary, and whether it ended (a side that
 * never ended was cancelled by the test). */
interface Side {
  summary: AttemptSummary;
  ended: boolean;
}
type Failure = { open: false; a: Side; b: Side };
type Outcome = { open: true; a: string; b: string } | Failure;

const ended = (a: AttemptSummary) => ['open', 'failed', 'rejected', 'cancelled'].includes(a.state);

/** One attempt from `a` (inviting) to `b` as a user makes it, to its end on both sides: the first
 * side's end within ATTEMPT_MS, the other's within OTHER_SIDE_MS after it (else the test cancels
 * it: see the note at the end of the file). */
async function attempt(method: Method, a: Peer, b: Peer): Promise<Outcome> {
  const invited = await invite(a.tracker, method);
  const request = await b.tracker.client.request('links.open', { link: invited.invite!.link });
  await b.tracker.client.request('attempts.approve', { attemptId: request.id });
  if (method === 'manual') {
    const shown = await within(
      b.tracker.attempt(request.id, (s) => s.displays.length > 0 || ended(s)),
      ATTEMPT_MS,
      () => `${b.host.name}'s reply code`,
    );
    if (shown.displays.length === 0) throw new Error(`${b.host.name} ended before showing a reply code: ${shown.state} ${shown.error?.message ?? ''}`);
    await a.tracker.client.request('attempts.answer', { attemptId: invited.id, questionId: invited.question!.id, answer: shown.displays[0]!.code! });
  }
  const sides = [
    [a, invited.id],
    [b, request.id],
  ] as const;
  const state = ([peer, id]: (typeof sides)[number]) => {
    const s = peer.tracker.attempts.get(id);
    return s ? `${s.state} at ${s.stage}${s.error ? ` (${s.error.stage}: ${s.error.message})` : ''}` : 'unknown';
  };
  const ends = sides.map(([peer, id]) => peer.tracker.attempt(id, ended));
  await within(Promise.race(ends), ATTEMPT_MS, () => `the end of ${method} attempt ${a.host.name} → ${b.host.name}: ${sides.map(state).join(' / ')}`);
  const settled = await Promise.all(
    sides.map(async ([peer, id], i) => {
      try {
        return { summary: await within(ends[i]!, OTHER_SIDE_MS, () => ''), ended: true };
      } catch {
        const summary = peer.tracker.attempts.get(id)!;
        await peer.tracker.client.request('attempts.cancel', { attemptId: id }).catch(() => undefined);
        return { summary, ended: false };
      }
    }),
  );
  const [endA, endB] = settled as [Side, Side];
  if (endA.summary.state === 'open' && endB.summary.state === 'open') return { open: true, a: endA.summary.connectionId!, b: endB.summary.connectionId! };
  // One side open and the other not: close the open one, the outcome is a failure.
  for (const [peer, end] of [
    [a, endA],
    [b, endB],
  ] as const)
    if (end.summary.state === 'open') await peer.tracker.client.request('connections.close', { connectionId: end.summary.connectionId! });
  return { open: false, a: endA, b: endB };
}

/** Sends `message` from `from` on its connection and resolves with what `to` received. */
async function relay(from: Peer, fromId: string, to: Peer, toId: string, message: string): Promise<unknown> {
  await to.tracker.client.request('connections.listen', { connectionId: toId, channel: 'chat' });
  const received = new Promise<unknown>((resolve) => {
    const off = to.tracker.client.on('connection.message', (m) => {
      if (m.connectionId !== toId || m.channel !== 'chat') return;
      off();
      resolve(m.message);
    });
  });
  await from.tracker.client.request('connections.send', { connectionId: fromId, channel: 'chat', message });
  return within(received, ATTEMPT_MS, () => `"${message}" at ${to.host.name}`);
}

/** A pair did not reach the path expected of it; `last` is what it showed. */
class PathNotSettled extends Error {
  constructor(
    message: string,
    readonly last: string,
  ) {
    super(message);
  }
}

/** Waits for both sides' path events until they show `want` (ICE may open on one pair and move to
 * a better one later); fails naming the last paths seen. */
async function settledPaths(pair: Pair, want: Expected, a: Peer, aId: string, b: Peer, bId: string): Promise<PairPaths> {
  const path = (peer: Peer, id: string) => peer.tracker.connections.get(id)?.stats.path;
  const current = (): PairPaths | undefined => {
    const [pa, pb] = [path(a, aId), path(b, bId)];
    return pa && pb ? { a: pa, b: pb } : undefined;
  };
  // The trackers hear every connection.updated; a path event on either side wakes a check.
  const check = () => {
    const now = current();
    return !!now && matches(want, pair, now);
  };
  const settled = Promise.race([a.tracker.connection(aId, check), b.tracker.connection(bId, check)]).then(() => current()!);
  const last = () => {
    const now = current();
    return now ? label(now) : `a ${JSON.stringify(path(a, aId))} b ${JSON.stringify(path(b, bId))}`;
  };
  try {
    return await within(settled, SETTLE_MS, () => `${title(pair)} to settle on ${want}; last: ${last()}`);
  } catch (error) {
    throw new PathNotSettled((error as Error).message, last());
  }
}

async function closeBoth(a: Peer, aId: string, b: Peer, bId: string): Promise<void> {
  await a.tracker.client.request('connections.close', { connectionId: aId });
  await within(
    b.tracker.connection(bId, (c) => c.state === 'closed' || c.state === 'failed'),
    ATTEMPT_MS,
    () => `${b.host.name}'s end of the connection to close`,
  );
}

describeLab('lab matrix: real services across NAT routers', () => {
  let lab: Lab;
  let turn: Coturn;
  let broker: LabBroker;
  /** Two hosts of each kind ("cone#1", "cone#2"), STUN and TURN configured: pair [x, y] is x#1
   * inviting y#2. */
  const peers = new Map<string, Peer>();
  const peer = (kind: RouterKind, n: 1 | 2) => peers.get(`${kind}#${n}`)!;
  /** For each pair that needs a relay, two more hosts with STUN alone ("stun:cone ↔ symmetric#1"),
   * each making one attempt at a time (see the STUN-only test). */
  const stunPeers = new Map<string, Peer>();
  /** The TLS row: two UDP-blocked hosts on the werift engine trusting the lab's certificate, with
   * TURN listed only as turns: ("tls#1", "tls#2"). */
  const tlsPeers = new Map<string, Peer>();
  /** Printed cells: "<pair>|<method>" → the path with TURN, and → the outcome with STUN alone. */
  const withTurn = new Map<string, string>();
  const stunOnly = new Map<string, string>();
  const synced: string[] = [];

  async function startPeer(key: string, host: LabHost, iceServers: IceServer[], into: Map<string, Peer>, options: LabServiceOptions = {}): Promise<void> {
    const service = await startLabService<WithPlaylists>(lab, host, host.name, { iceServers, broker, protocols: [playlistsProtocol], ...options });
    const id = (await service.client.request('service.status', {})).local.id;
    into.set(key, watch({ host, service, client: service.client, tracker: new Tracker(service.client), id }));
  }

  beforeAll(async () => {
    lab = await createLab();
    turn = await startCoturn(lab, { auth: { mode: 'long-term', ...LAB_TURN_USER } });
    broker = await startLabBroker(lab);
    const short = { none: 'open', cone: 'cone', symmetric: 'sym', 'udp-blocked': 'blocked' } as const;
    const main = ROUTER_KINDS.flatMap((kind) => ([1, 2] as const).map((n) => [`${kind}#${n}`, `${short[kind]}${n}`, kind] as const));
    const stun = PAIRS.filter(needsRelay).flatMap((pair, i) =>
      pair.map((kind, side) => [`stun:${title(pair)}#${side + 1}`, `s${i}${short[kind]}${side + 1}`, kind] as const),
    );
    const tls = ([1, 2] as const).map((n) => [`tls#${n}`, `tls${n}`, 'udp-blocked'] as const);
    const hosts = await Promise.all([...main, ...stun, ...tls].map(async ([key, name, kind]) => [key, await lab.host(name, kind)] as const));
    const overTls: LabServiceOptions = { engine: 'werift', turnTlsCa: turn.certificate };
    await Promise.all(
      hosts.map(([key, host]) =>
        key.startsWith('stun:')
          ? startPeer(key, host, labIceServers(turn, []), stunPeers)
          : key.startsWith('tls#')
            ? startPeer(key, host, labIceServers(turn, ['tls']), tlsPeers, overTls)
            : startPeer(key, host, labIceServers(turn), peers),
      ),
    );
  }, 180_000);

  afterAll(async () => {
    if (withTurn.size > 0 || stunOnly.size > 0)
      console.log(`[lab matrix] produced by host/service/test/lab-matrix.test.ts\n\n${matrixTable(withTurn, stunOnly, synced)}\n`);
    // Each service is asked to shut down (it ends its connections); the lab then kills whatever
    // is left and removes every namespace, rule and folder, whatever happened above.
    try {
      await Promise.all([...peers.values(), ...stunPeers.values(), ...tlsPeers.values()].map((p) => (p.tracker.stop(), p.service.stop())));
      await broker?.stop();
    } finally {
      await lab?.close();
    }
  }, 60_000);

  /** One attempt from `a` to `b` over `method`: it opens, carries a message each way and settles on
   * `want`; the matrix cell `row|method` says what it showed. */
  async function connectAndSettle(method: Method, row: string, pair: Pair, a: Peer, b: Peer, want: Expected): Promise<void> {
    const key = `${row}|${method}`;
    const outcome = await attempt(method, a, b);
    if (!outcome.open) {
      withTurn.set(key, `FAILED: ${describeEnd(outcome)}`);
      throw new Error(`${key}: ${describeEnd(outcome)}`);
    }
    try {
      expect(await relay(a, outcome.a, b, outcome.b, `hello ${b.host.name}`)).toBe(`hello ${b.host.name}`);
      expect(await relay(b, outcome.b, a, outcome.a, `hello ${a.host.name}`)).toBe(`hello ${a.host.name}`);
      const paths = await settledPaths(pair, want, a, outcome.a, b, outcome.b).catch((error: unknown) => {
        if (error instanceof PathNotSettled) withTurn.set(key, `UNEXPECTED ${error.last}`);
        throw error;
      });
      withTurn.set(key, label(paths));
    } finally {
      await closeBoth(a, outcome.a, b, outcome.b);
    }
  }

  /** `a` shares a 5,000-track playlist with `b` and connects to it with manual codes: the pair
   * settles on `want`, and both sides end with every track; `synced[index]` says so. */
  async function convergeOver(index: number, what: string, pair: Pair, a: Peer, b: Peer, want: Expected): Promise<void> {
    const playlist = await a.client.request('playlists.create', { name: `Five thousand, ${what}` });
    await a.client.request('tracks.add', { playlistId: playlist.id, tracks: songs(what, TRACKS) });
    await a.client.request('playlists.share', { playlistId: playlist.id, peerId: b.id });
    const outcome = await attempt('manual', a, b);
    if (!outcome.open) throw new Error(`${what} (${title(pair)}): ${describeEnd(outcome)}`);
    try {
      const paths = await settledPaths(pair, want, a, outcome.a, b, outcome.b);
      const [mine, theirs] = await eventually(
        async () => {
          const both = await Promise.all([
            a.client.request('playlists.get', { playlistId: playlist.id }),
            b.client.request('playlists.get', { playlistId: playlist.id }),
          ]);
          expect(both[1].tracks).toHaveLength(TRACKS);
          return both;
        },
        { timeoutMs: SYNC_MS },
      );
      // Every track on both sides, field by field, in the same order.
      expect(mine.tracks).toHaveLength(TRACKS);
      expect(theirs).toEqual(mine);
      synced[index] = `${TRACKS.toLocaleString('en')} tracks converged ${what}: ${title(pair)}, manual, ${label(paths)}`;
    } finally {
      await closeBoth(a, outcome.a, b, outcome.b);
    }
  }

  for (const method of METHODS) {
    it(`${METHOD_TITLE[method]}, STUN + TURN: all 10 pairs connect, carry a message each way, and settle on the expected path`, async () => {
      const results = await Promise.allSettled(
        PAIRS.map((pair) => connectAndSettle(method, title(pair), pair, peer(pair[0], 1), peer(pair[1], 2), expected(pair))),
      );
      expect(rejections(results)).toEqual([]);
    }, 180_000);
  }

  it('a 5,000-track playlist converges over a direct path, a relay over UDP and a relay over TCP', async () => {
    const cases = [
      ['direct', ['cone', 'cone']],
      ['relayed over UDP', ['symmetric', 'symmetric']],
      ['relayed over TCP', ['udp-blocked', 'udp-blocked']],
    ] as const;
    const results = await Promise.allSettled(
      cases.map(([what, pair], index) => convergeOver(index, what, pair, peer(pair[0], 1), peer(pair[1], 2), expected(pair))),
    );
    expect(rejections(results)).toEqual([]);
  }, 180_000);

  // manual + simple-peer only: PeerJS's connection on werift stays at `channel` until the 30 s
  // deadline (seen in this lab; not investigated yet). This row failed at `channel` when the
  // whole file ran until werift's DTLS handshake was repaired for round trips longer than its
  // first retransmission (plugins/webrtc/werift-dtls.ts): two TLS relays on a loaded machine.
  it('TURN over TLS alone (werift, the lab certificate trusted, UDP blocked on both sides): manual + simple-peer connects relayed over TLS, and a 5,000-track playlist converges', async () => {
    const [a, b] = [tlsPeers.get('tls#1')!, tlsPeers.get('tls#2')!];
    const pair: Pair = ['udp-blocked', 'udp-blocked'];
    await connectAndSettle('manual', TLS_ROW, pair, a, b, 'relayed-tls');
    await convergeOver(3, 'relayed over TLS (werift)', pair, a, b, 'relayed-tls');
  }, 240_000);

  it('STUN only: the pairs that need a relay fail at ice, saying a relay (TURN) server is needed; the others connect', async () => {
    const stun = labIceServers(turn, []);
    const direct = PAIRS.filter((pair) => !needsRelay(pair));
    // A change of ICE servers applies to the next connection, without a restart.
    await Promise.all([...peers.values()].map((p) => p.client.request('plugins.configure', { plugin: 'webrtc', options: { iceServers: stun } })));
    try {
      const results = await Promise.allSettled([
        // The pairs with a path without a relay, at once; each pair's methods one after the other
        // (the same two services: a second link while the first connection is open is refused,
        // one connection per pair of peers).
        ...direct.map(async (pair) => {
          for (const method of METHODS) {
            const key = `${title(pair)}|${method}`;
            const outcome = await attempt(method, peer(pair[0], 1), peer(pair[1], 2));
            stunOnly.set(key, outcome.open ? 'connects' : failureLabel(outcome));
            if (outcome.open) {
              await closeBoth(peer(pair[0], 1), outcome.a, peer(pair[1], 2), outcome.b);
              continue;
            }
            // ICE-TCP from a UDP-blocked host to a public one may or may not be found.
            if (expected(pair) === 'direct') throw new Error(`${key}: failed with STUN alone: ${describeEnd(outcome)}`);
            expect([outcome.a, outcome.b].map((side) => side.summary.error?.stage)).toContain('ice');
          }
        }),
        // The pairs that need a relay, each on hosts of its own: one attempt per service at a
        // time, the methods one after the other (see the note at the end of the file).
        ...PAIRS.filter(needsRelay).map(async (pair) => {
          const [a, b] = [stunPeers.get(`stun:${title(pair)}#1`)!, stunPeers.get(`stun:${title(pair)}#2`)!];
          const failures: string[] = [];
          for (const method of METHODS) {
            const key = `${title(pair)}|${method}`;
            try {
              const outcome = await attempt(method, a, b);
              if (outcome.open) {
                stunOnly.set(key, 'connects');
                await closeBoth(a, outcome.a, b, outcome.b);
                throw new Error('connected with STUN alone');
              }
              stunOnly.set(key, failureLabel(outcome));
              // Neither side opened; the side whose engine gave up failed at ice saying that a
              // relay is what is missing (the other, if it ended at all, may only have seen that).
              const errors = [outcome.a, outcome.b].flatMap((side) => (side.summary.error ? [side.summary.error] : []));
              expect([outcome.a, outcome.b].map((side) => side.summary.state)).not.toContain('open');
              // Both sides end by themselves (the pipe's ICE check limit), none is left hanging.
              expect([outcome.a, outcome.b].map((side) => side.ended)).toEqual([true, true]);
              expect(errors.filter((e) => e.stage === 'ice').map((e) => e.message)).toContainEqual(expect.stringMatching(/relay \(TURN\)/i));
            } catch (error) {
              failures.push(`${key}: ${(error as Error).message}`);
            }
          }
          if (failures.length > 0) throw new Error(failures.join('\n'));
        }),
      ]);
      expect(rejections(results)).toEqual([]);
    } finally {
      const all = labIceServers(turn);
      await Promise.all([...peers.values()].map((p) => p.client.request('plugins.configure', { plugin: 'webrtc', options: { iceServers: all } })));
    }
  }, 150_000);
});

const rejections = (results: PromiseSettledResult<unknown>[]) => results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
const describeSide = (side: Side) =>
  side.ended
    ? `${side.summary.state}${side.summary.error ? ` at ${side.summary.error.stage}: ${side.summary.error.message}` : ''}`
    : `no end, still ${side.summary.state} at ${side.summary.stage} (cancelled)`;
const describeEnd = (outcome: Failure) => `${describeSide(outcome.a)} / ${describeSide(outcome.b)}`;
/** "fails at ice" when both sides did; else each side's end, inviter / answerer. */
function failureLabel(outcome: Failure): string {
  const short = (side: Side) =>
    side.ended
      ? `${side.summary.state === 'failed' ? 'fails' : side.summary.state} at ${side.summary.error?.stage ?? side.summary.stage}`
      : `no end at ${side.summary.stage}`;
  const [a, b] = [short(outcome.a), short(outcome.b)];
  return a === b ? a : `${a} / ${b}`;
}

/** The matrix as a markdown table: one row per pair, the path with each method, and what STUN
 * alone does. */
function matrixTable(withTurn: Map<string, string>, stunOnly: Map<string, string>, synced: readonly string[]): string {
  const rows = [...PAIRS.map(title), TLS_ROW].map((row) => {
    const cell = (map: Map<string, string>, method: Method) => map.get(`${row}|${method}`) ?? '—';
    const stun = METHODS.map((m) => cell(stunOnly, m));
    return `| ${row} | ${cell(withTurn, 'manual')} | ${cell(withTurn, 'peerjs')} | ${stun[0] === stun[1] ? stun[0] : stun.join(' / ')} |`;
  });
  return [
    `| pair (inviter ↔ answerer) | ${METHOD_TITLE.manual}, STUN + TURN | ${METHOD_TITLE.peerjs}, STUN + TURN | STUN only (both methods) |`,
    '| --- | --- | --- | --- |',
    ...rows,
    ...(synced.length > 0 ? ['', ...synced.filter((s) => s !== undefined).map((s) => `- ${s}`)] : []),
  ].join('\n');
}

/*
 * Sides that never end. With STUN alone, some attempts that cannot open never ended on one side,
 * sometimes on both: still at `ice` 45 s on, libwebrtc never reporting the ICE connection
 * `failed`. Seen often with all ten pairs at once on the eight shared services (up to four attempts
 * in one service), once with a single attempt per service on a loaded machine; alone, or two or
 * three at once, the same pairs failed at `ice` on both sides when ICE gave up. Nothing then ends
 * such a side before the invite's lifetime: the 30 s connect deadline is replaced by it once a
 * method waits for a person (core/kernel/connections.ts). Not explained yet; the pipe now bounds
 * it (ICE_CHECK_LIMIT_MS in plugins/webrtc/pipe.ts), and the test asserts that both sides end by
 * themselves. The pairs that need a relay still get hosts of their own (one attempt per service
 * at a time), and a side that has not ended 20 s after the other would be cancelled, shown as such
 * in the table, and fail the test.
 */
