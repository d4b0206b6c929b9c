/**
 * `npm run soak [scenario...]`: the reconnection scenarios of host/service/testing/lab-reconnect.ts,
 * each at least `SOAK_SAMPLES` (20) times, over real service processes in one network lab, the
 * repetitions run at once on `SOAK_PAIRS` (10) pairs of cone hosts; then the figures: p50, p95 and
 * max, with counts. Scenarios: restart, outage5, outage30, outage120, move, broker, dial, end.
 * Where the lab cannot be built it says so in one line and exits 0.
 *
 *   restart     either service stops and starts again: both up → open on both sides
 *   outageN     a host's link to its router down N s, edits on both sides meanwhile: link up →
 *               open again with every edit on both sides (lost / duplicated documents counted)
 *   move        a host takes a new address on its network: the move → healed, as above
 *   broker      the broker killed under every pair (connections must stay open), started again:
 *               its start → each service registered
 *   dial        both sides press "Reconnect" at once (SOAK_DIALS, 50 in all): open connections
 *               per side once everything settled, which must be exactly 1
 *   end         ghost peers (each side lists exactly one connection to the other) and processes
 *               left in the hosts' namespaces once every service stopped
 */
import { labSupport } from '../tools/netlab/support';
import { ReconnectPair, brokerOutage, createReconnectLab, leftoverProcesses, type Healed, type ReconnectLab } from '../host/service/testing/lab-reconnect';
import { percentile } from './stats';

const SAMPLES = Number(process.env.SOAK_SAMPLES ?? 20);
const PAIRS = Math.min(17, Number(process.env.SOAK_PAIRS ?? 10));
const DIALS = Number(process.env.SOAK_DIALS ?? 50);
const ALL = ['restart', 'outage5', 'outage30', 'outage120', 'move', 'broker', 'dial', 'end'];
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL;
const rounds = Math.ceil(SAMPLES / PAIRS);
const stopping = new AbortController();

interface Row {
  scenario: string;
  target: string;
  samples: number[];
  failures: string[];
  counts: Record<string, number>;
  /** Per phase of a heal (host/service/testing/phases.ts): its stamp in each sample that had it. */
  phases: Map<string, number[]>;
}
const rows: Row[] = [];
const row = (scenario: string, target: string): Row => {
  const r: Row = { scenario, target, samples: [], failures: [], counts: {}, phases: new Map() };
  rows.push(r);
  return r;
};
const count = (r: Row, key: string, n = 1) => void (r.counts[key] = (r.counts[key] ?? 0) + n);
const log = (line: string) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** Runs `each` on every live pair at once, `rounds` times, collecting samples and failures. A
 * pair that failed is left out of later scenarios (its state is unknown). */
async function onPairs(pairs: ReconnectPair[], r: Row, times: number, each: (pair: ReconnectPair, round: number) => Promise<number | undefined>) {
  for (let round = 0; round < times && !stopping.signal.aborted; round++) {
    const results = await Promise.allSettled(pairs.map((pair) => each(pair, round)));
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        if (result.value !== undefined) r.samples.push(result.value);
      } else {
        r.failures.push(`pair ${pairs[i]!.index}: ${(result.reason as Error).message.split('\n')[0]}`);
        broken.add(pairs[i]!);
      }
    });
    for (const pair of broken) pairs.splice(pairs.indexOf(pair), 1);
    const now = results.map((x) => (x.status === 'fulfilled' ? (x.value === undefined ? 'ok' : `${(x.value / 1000).toFixed(2)} s`) : 'failed'));
    log(`${r.scenario}: round ${round + 1}/${times}: ${now.join(', ')}`);
    if (pairs.length === 0) return;
  }
}
const broken = new Set<ReconnectPair>();

function outage(pairs: ReconnectPair[], seconds: number): Promise<void> {
  const r = row(`outage ${seconds} s`, 'link up → open again, p95 ≤ 5 s; 0 lost, 0 duplicated');
  return onPairs(pairs, r, rounds, async (pair, round) => account(r, await pair.outage(round % 2 === 0 ? 'a' : 'b', seconds * 1000)));
}
function account(r: Row, healed: Healed): number {
  count(r, 'lost', healed.lost);
  count(r, 'duplicated', healed.duplicated);
  count(r, healed.replaced ? 'new connection' : 'same connection');
  for (const [phase, ms] of Object.entries(healed.phases)) r.phases.set(phase, [...(r.phases.get(phase) ?? []), ms]);
  return healed.healMs;
}

function figures(): string {
  const ms = (v: number) => (v / 1000).toFixed(2);
  const lines = rows.map((r) => {
    const sorted = [...r.samples].sort((x, y) => x - y);
    const stats = sorted.length > 0 ? `p50 ${ms(percentile(sorted, 0.5))} s, p95 ${ms(percentile(sorted, 0.95))} s, max ${ms(sorted.at(-1)!)} s` : 'no timings';
    const counts = Object.entries(r.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    return `| ${r.scenario} | ${r.samples.length} | ${r.failures.length} | ${r.target.includes('→') ? stats : '—'} | ${counts || '—'} | ${r.target} |`;
  });
  const failures = rows.flatMap((r) => r.failures.map((f) => `- ${r.scenario}: ${f}`));
  return [
    '| scenario | samples | failures | time | counts | target |',
    '| --- | --- | --- | --- | --- | --- |',
    ...lines,
    ...(failures.length > 0 ? ['', 'failures:', ...failures] : []),
    ...rows.flatMap(phaseTable),
  ].join('\n');
}

/** Where a scenario's heals spent their time: each phase's stamp, in the order they came. */
function phaseTable(r: Row): string[] {
  if (r.phases.size === 0) return [];
  const ms = (v: number) => (v / 1000).toFixed(2);
  const phases = [...r.phases].map(([phase, stamps]) => ({ phase, sorted: [...stamps].sort((x, y) => x - y) }));
  phases.sort((x, y) => percentile(x.sorted, 0.5) - percentile(y.sorted, 0.5));
  return [
    '',
    `${r.scenario}, per phase (s from the same start as its time; where the events reached the soak):`,
    '',
    '| phase | runs | p50 | p95 | max |',
    '| --- | --- | --- | --- | --- |',
    ...phases.map(
      ({ phase, sorted }) => `| ${phase} | ${sorted.length} | ${ms(percentile(sorted, 0.5))} | ${ms(percentile(sorted, 0.95))} | ${ms(sorted.at(-1)!)} |`,
    ),
  ];
}

const support = labSupport();
if (!support.ok) {
  process.stdout.write(`soak: not run, cannot build the network lab here: ${support.reason}\n`);
  process.exit(0);
}

const began = Date.now();
// Ctrl-C: the round under way ends, then the lab is removed and what was measured printed.
process.once('SIGINT', () => stopping.abort());
let env: ReconnectLab | undefined;
let pairs: ReconnectPair[] = [];
try {
  env = await createReconnectLab();
  log(`lab ${env.lab.id}: starting ${PAIRS} pairs, ${rounds} round(s) per scenario`);
  const started = await Promise.allSettled(Array.from({ length: PAIRS }, (_, i) => ReconnectPair.start(env!, i + 1)));
  pairs = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  for (const s of started) if (s.status === 'rejected') log(`a pair did not start: ${(s.reason as Error).message.split('\n')[0]}`);
  const live = [...pairs];

  if (chosen.includes('restart')) {
    const r = row('restart', 'both up → open, p95 ≤ 3 s');
    await onPairs(live, r, rounds, (pair, round) => pair.restart(round % 2 === 0 ? 'a' : 'b'));
  }
  for (const seconds of [5, 30, 120]) if (chosen.includes(`outage${seconds}`)) await outage(live, seconds);
  if (chosen.includes('move')) {
    const r = row('move', 'the move → open again, p95 ≤ 5 s; 0 lost, 0 duplicated');
    await onPairs(live, r, rounds, async (pair, round) => account(r, await pair.move(round % 2 === 0 ? 'a' : 'b')));
  }
  if (chosen.includes('broker')) {
    const r = row('broker', 'broker start → registered, ≤ 2 s; connections stay open');
    const times = live.length === 0 ? 0 : Math.ceil(SAMPLES / (live.length * 2));
    for (let round = 0; round < times && !stopping.signal.aborted; round++) {
      try {
        const { stayedOpen, registrationMs } = await brokerOutage(env, live);
        r.samples.push(...registrationMs);
        count(r, stayedOpen ? 'rounds with every connection open throughout' : 'rounds with a connection CLOSED while down');
      } catch (error) {
        r.failures.push((error as Error).message.split('\n')[0]!);
      }
      log(`broker: round ${round + 1}/${times}`);
    }
  }
  if (chosen.includes('dial')) {
    const r = row('dial at once', 'exactly 1 connection per side');
    await onPairs(live, r, live.length === 0 ? 0 : Math.ceil(DIALS / live.length), async (pair) => {
      const [a, b] = await pair.dialBoth();
      count(r, a === 1 && b === 1 ? 'exactly one' : `${a}/${b}`);
      return undefined;
    });
  }
  if (chosen.includes('end')) {
    const r = row('end', 'no ghost peers, no processes left');
    for (const pair of live) {
      const sides = await Promise.all([pair.openConnections('a'), pair.openConnections('b')]).catch(() => [[], []]);
      count(r, sides.every((s) => s.length === 1) ? 'one each side' : `ghost or missing (${sides.map((s) => s.length).join('/')})`);
    }
    await Promise.allSettled(pairs.splice(0).map((p) => p.stop()));
    const left = await leftoverProcesses(env);
    count(r, 'processes left', left.length);
    for (const l of left) r.failures.push(`left running: ${l}`);
  }
} catch (error) {
  log(`soak stopped: ${(error as Error).stack}`);
} finally {
  await Promise.allSettled(pairs.map((p) => p.stop()));
  await env?.close().catch((error: unknown) => log(`lab not removed cleanly: ${(error as Error).message}`));
}
process.stdout.write(
  `\nnpm run soak ${process.argv.slice(2).join(' ')} (${PAIRS} pairs of cone hosts, STUN + TURN, PeerJS broker; ${((Date.now() - began) / 60_000).toFixed(1)} min)\n\n${figures()}\n`,
);
process.exit(0);
