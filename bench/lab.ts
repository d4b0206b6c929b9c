/**
 * Lab rows of `npm run bench`: ours next to raw simple-peer across the network lab
 * (tools/netlab), in the same run, over the same hosts, routers and coturn:
 *
 *   cone ↔ cone                 direct (each NAT maps one port whatever the destination)
 *   symmetric ↔ symmetric       relayed by TURN over UDP
 *   udp-blocked ↔ udp-blocked   relayed by TURN over TCP
 *
 * Each side is a pair of bench peers (bench/lab-peer.ts), one process per peer on the two lab
 * hosts, the parent carrying the codes. The method is the loopback rows' (bench/connections.ts):
 * connect from the inviter's start until both sides are open, alternated; the same bulk
 * transfer (bench/bulk.ts), alternated, median. A row names the path the connections took,
 * read from each side's engine before and after the transfers, and says when it is not the
 * path the case is for.
 */
import type { ConnectionPath } from '../core/index';
import { startCoturn } from '../tools/netlab/coturn';
import { createLab, type Lab, type LabHost } from '../tools/netlab/lab';
import type { RouterKind } from '../tools/netlab/routers';
import { labSupport } from '../tools/netlab/support';
import { LAB_TURN_USER, labIceServers } from '../host/service/testing/lab';
import { BULK_BYTES, OUR_MESSAGE, RAW_CHUNK, TRANSFERS, megabytesPerSecond } from './bulk';
import type { Kind } from './lab-peer';
import { attemptOnce, closeLabPair, labPaths, pathLabel, startLabPair, stopLabPair, type LabAttempt, type LabPair } from './lab-pair';
import { alternated, measurement, percentile, round, type Measurement } from './stats';

interface LabCase {
  routers: [RouterKind, RouterKind];
  /** The path this case is for: 'direct', 'relayed/udp', 'relayed/tcp'. */
  path: string;
}

const CASES: LabCase[] = [
  { routers: ['cone', 'cone'], path: 'direct' },
  { routers: ['symmetric', 'symmetric'], path: 'relayed/udp' },
  { routers: ['udp-blocked', 'udp-blocked'], path: 'relayed/tcp' },
];

/** Per side and case: raw's connect waits out simple-peer's gathering timer on each side, so
 * this count is what keeps the lab part to a few minutes; both sides' connect times are mostly
 * fixed waits, which a median of three reads well. */
const CONNECTS = 3;
/** Any single wait longer than this fails the attempt instead of hanging the bench. */
const WAIT_MS = 40_000;
/** The engine may move to a better pair after opening (cone ↔ cone opens on a relay and goes
 * direct once the server-reflexive checks succeed; the answering side may follow only once data
 * flows): a pair not yet on the case's path carries WARM_BYTES each way, untimed, and is read
 * again, until both pairs are on it or SETTLE_MS passed (and the row says so). */
const SETTLE_MS = 20_000;
const WARM_BYTES = 1024 * 1024;

/** A case not started by then is skipped (and the notes say so): a wedged lab or a machine far
 * busier than usual must not stretch the bench without end. */
const BUDGET_MS = 8 * 60_000;

/** What each side is, printed with the rows: each side's own timers and flow control explain
 * most of the differences. */
const SIDES = {
  ours: 'manual + webrtc + simple-peer plugins: one signal a side, sent when gathering completes or after gatherTimeoutMs (1 s), simple-peer trickling inside; 256 KiB core messages with core backpressure',
  raw: 'simple-peer alone, trickle: false, its defaults: one signal a side, sent when gathering completes or after its iceCompleteTimeout (5 s); 64 KiB writes, which on @roamhq/wrtc (no bufferedamountlow) wait by polling bufferedAmount every 150 ms once above 64 KiB',
} as const;

/** `only`: the cases whose routers' names contain it (`npm run bench lab symmetric`). */
export async function labBenchmarks(log: (m: Measurement) => void, note: (line: string) => void, only?: string): Promise<void> {
  const support = labSupport();
  if (!support.ok) return note(`lab rows: not run, cannot build the network lab here: ${support.reason}`);
  const began = performance.now();
  // A lab that fails to build or to go away costs the lab rows, never the rows already measured.
  const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];
  let lab: Lab | undefined;
  try {
    lab = await createLab();
    const turn = await startCoturn(lab, { auth: { mode: 'long-term', ...LAB_TURN_USER } });
    // As a user would list them: STUN, and TURN over UDP, TCP and TLS; both sides alike.
    const iceServers = labIceServers(turn) as RTCIceServer[];
    note(`lab rows: two lab hosts per case, one process per peer, @roamhq/wrtc, coturn's STUN + TURN (udp, tcp, tls) on both sides`);
    note(`  ours: ${SIDES.ours}`);
    note(`  raw:  ${SIDES.raw}`);
    for (const [i, c] of CASES.entries()) {
      if (only && !caseName(c).includes(only)) continue;
      if (performance.now() - began > BUDGET_MS) {
        note(`lab ${caseName(c)}: skipped, the lab part ran past its ${BUDGET_MS / 60_000} minutes`);
        continue;
      }
      try {
        await labCase(lab, i + 1, c, iceServers, log);
      } catch (error) {
        note(`lab ${caseName(c)}: FAILED: ${firstLine(error)}`);
      }
    }
    note(`lab rows took ${Math.round((performance.now() - began) / 1000)} s`);
  } catch (error) {
    note(`lab rows: FAILED to build the lab: ${firstLine(error)}`);
  } finally {
    await lab?.close().catch((error: unknown) => note(`lab rows: the lab was not removed cleanly: ${firstLine(error)}`));
  }
}

const caseName = (c: LabCase) => `${c.routers[0]}↔${c.routers[1]}`;

async function labCase(lab: Lab, index: number, c: LabCase, iceServers: RTCIceServer[], log: (m: Measurement) => void): Promise<void> {
  const hosts = (await Promise.all([lab.host(`a${index}`, c.routers[0]), lab.host(`b${index}`, c.routers[1])])) as [LabHost, LabHost];
  const bench = `lab ${caseName(c)}`;
  const started: LabPair[] = [];
  try {
    const start = async (kind: Kind) => started[started.push(await startLabPair(hosts, kind, iceServers)) - 1]!;
    const [ours, raw] = await Promise.all([start('ours'), start('raw')]);

    // Throughput first: its two connects also warm each side's process for the timed ones.
    const [oursFirst, rawFirst] = [await mustOpen(ours), await mustOpen(raw)];
    const candidates = `candidates in ours: ${oursFirst.offerCandidates.length} / ${oursFirst.answerCandidates.length}`;
    log(
      measurement(bench, 'invite code', 'characters', oursFirst.codes.invite.length, rawFirst.codes.invite.length, { target: 'ours ≤ 200', path: candidates }),
    );
    log(measurement(bench, 'reply code', 'characters', oursFirst.codes.reply.length, rawFirst.codes.reply.length, { target: 'ours ≤ 200', path: candidates }));
    const before = await settled(c.path, ours, raw);
    const transfers = { ours: [] as Transfer[], raw: [] as Transfer[] };
    const rates = await alternated(
      TRANSFERS,
      async () => record(transfers.ours, await transfer(ours, OUR_MESSAGE)),
      async () => record(transfers.raw, await transfer(raw, RAW_CHUNK)),
    );
    const after = await Promise.all([labPaths(ours, WAIT_MS), labPaths(raw, WAIT_MS)]);
    await Promise.all([closeLabPair(ours, WAIT_MS), closeLabPair(raw, WAIT_MS)]);
    const transferPath = describePaths(c.path, [before[0], after[0]], [before[1], after[1]]);

    // Connect time; the path each connection opened on is kept too.
    const atOpen = { ours: [] as PathPair[], raw: [] as PathPair[] };
    const failed = { ours: 0, raw: 0 };
    const connectOnce = (pair: LabPair) => async () => {
      const attempt = await attemptOnce(pair, WAIT_MS);
      if (attempt.opened) atOpen[pair.kind].push(await labPaths(pair, WAIT_MS));
      else failed[pair.kind]++;
      await closeLabPair(pair, WAIT_MS);
      return attempt.opened ? attempt.ms : NaN;
    };
    const connects = await alternated(CONNECTS, connectOnce(ours), connectOnce(raw));
    const opened = (ms: number[]) => ms.filter((m) => !Number.isNaN(m));
    const failures = failed.ours + failed.raw > 0 ? `; FAILED ours ${failed.ours}, raw ${failed.raw} of ${CONNECTS}` : '';
    log(
      measurement(bench, 'connect p50', 'ms', percentile(opened(connects.ours), 0.5), percentile(opened(connects.raw), 0.5), {
        n: CONNECTS,
        target: 'ratio ≤ 1.1',
        samples: { ours: connects.ours.map((ms) => round(ms)), raw: connects.raw.map((ms) => round(ms)) },
        path: `at open: ${describePaths(undefined, atOpen.ours, atOpen.raw)}${failures}`,
      }),
    );
    log(
      measurement(bench, 'throughput', 'MB/s', percentile(rates.ours, 0.5), percentile(rates.raw, 0.5), {
        n: TRANSFERS,
        target: 'ratio ≥ 0.9',
        path: transferPath,
        samples: { ours: rates.ours.map((r) => round(r)), raw: rates.raw.map((r) => round(r)) },
      }),
    );
    const cpu = (t: Transfer[]) =>
      percentile(
        t.map((x) => x.cpuMs),
        0.5,
      );
    log(measurement(bench, 'CPU per transfer, both peers', 'ms', cpu(transfers.ours), cpu(transfers.raw), { n: TRANSFERS, path: transferPath }));
    const rss = (t: Transfer[]) => Math.max(...t.map((x) => x.rssMb));
    log(measurement(bench, 'memory (RSS), largest peer', 'MiB', rss(transfers.ours), rss(transfers.raw), { n: TRANSFERS }));
  } finally {
    await Promise.all(started.map((pair) => stopLabPair(pair).catch(() => {})));
  }
}

/** Both pairs warmed (WARM_BYTES each way, untimed: the first bytes also run code the timed
 * transfers then find ready), again while one is off `expected`, until both took it or SETTLE_MS
 * passed; returns their paths then. */
async function settled(expected: string, ours: LabPair, raw: LabPair): Promise<[PathPair, PathPair]> {
  const deadline = performance.now() + SETTLE_MS;
  const chunks = { ours: OUR_MESSAGE, raw: RAW_CHUNK };
  let off = [ours, raw];
  for (;;) {
    for (const pair of off) {
      await transfer(pair, chunks[pair.kind], WARM_BYTES);
      await transfer({ ...pair, a: pair.b, b: pair.a }, chunks[pair.kind], WARM_BYTES);
    }
    const paths = await Promise.all([labPaths(ours, WAIT_MS), labPaths(raw, WAIT_MS)]);
    off = [ours, raw].filter((_, i) => pathOf(paths[i]!) !== expected);
    if (off.length === 0 || performance.now() > deadline) return paths;
  }
}

async function mustOpen(pair: LabPair): Promise<LabAttempt> {
  const attempt = await attemptOnce(pair, WAIT_MS);
  if (!attempt.opened) {
    const why = attempt.ends.map((e) => (e.opened ? 'opened' : `${e.stage ?? '?'}: ${e.message}`)).join('; ');
    throw new Error(`${pair.kind} did not connect: ${why}`);
  }
  return attempt;
}

interface Transfer {
  rate: number;
  /** CPU time of both peer processes over the transfer. */
  cpuMs: number;
  /** The larger peer process's resident memory after it. */
  rssMb: number;
}

function record(into: Transfer[], transfer: Transfer): number {
  into.push(transfer);
  return transfer.rate;
}

/** `bytes` from the inviter to the answerer in `chunk`-byte messages, timed from the first
 * write to the last byte's arrival on the one monotonic clock both processes read. */
async function transfer(pair: LabPair, chunk: number, bytes = BULK_BYTES): Promise<Transfer> {
  const before = await usage(pair);
  pair.b.send({ type: 'expect', bytes });
  await pair.b.next('expecting', WAIT_MS);
  pair.a.send({ type: 'send', bytes, chunk });
  const [sent, received] = await Promise.all([pair.a.next('sent', WAIT_MS), pair.b.next('received', WAIT_MS)]).catch(async (error: Error) => {
    // Which path it stalled on says more than the wait that ran out.
    const paths = await labPaths(pair, WAIT_MS).catch(() => [undefined, undefined] as PathPair);
    throw new Error(`${pair.kind} transfer of ${bytes} bytes stalled on ${paths.map(pathLabel).join(' / ')}: ${error.message.split('\n')[0]}`);
  });
  const after = await usage(pair);
  return {
    rate: megabytesPerSecond(bytes, received.at - sent.started),
    cpuMs: after.cpuMs - before.cpuMs,
    rssMb: after.rssMb,
  };
}

async function usage({ a, b }: LabPair): Promise<{ cpuMs: number; rssMb: number }> {
  a.send({ type: 'usage' });
  b.send({ type: 'usage' });
  const [ua, ub] = await Promise.all([a.next('usage', WAIT_MS), b.next('usage', WAIT_MS)]);
  return { cpuMs: ua.cpuMs + ub.cpuMs, rssMb: Math.max(ua.rssMb, ub.rssMb) };
}

type PathPair = [ConnectionPath | undefined, ConnectionPath | undefined];

/** A connection's path from both sides' pairs: 'direct' when both say so, else 'relayed/' and
 * how the sides reach the relays. A side whose own end is not a relay sends to the other's
 * relay address, and a relayed address is always UDP (libwebrtc makes no TCP allocations). */
function pathOf([a, b]: PathPair): string {
  if (!a || !b) return 'unknown';
  if (a.kind === 'direct' && b.kind === 'direct') return 'direct';
  const reach = (p: ConnectionPath) => (p.local === 'relay' ? (p.relayProtocol ?? '?') : 'udp');
  return `relayed/${[...new Set([reach(a), reach(b)])].sort().join('+')}`;
}

/** "ours direct ×2, raw direct ×2", and "NOT <expected>" when any differs from it. */
function describePaths(expected: string | undefined, ours: PathPair[], raw: PathPair[]): string {
  const counts = (pairs: PathPair[]) => {
    const seen = new Map<string, number>();
    for (const p of pairs) seen.set(pathOf(p), (seen.get(pathOf(p)) ?? 0) + 1);
    return [...seen].map(([path, n]) => `${path} ×${n}`).join(', ');
  };
  const wrong = expected !== undefined && [...ours, ...raw].some((p) => pathOf(p) !== expected);
  return `ours ${counts(ours)}; raw ${counts(raw)}${wrong ? `; NOT ${expected}` : ''}`;
}
