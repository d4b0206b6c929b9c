/**
 * Fair channels (issue 18): a small request on one channel while another channel sends one
 * 64 MiB message, both queued at once, over real WebRTC (manual + simple-peer). Measured four
 * ways in the same run, transfers alternated:
 *
 * - fair: core's connection as it is (the receiver offers interleaving), the receiving peer in a
 *   process of its own (bench/fairness-peer.ts), as each app runs its service: the target's row;
 * - FIFO: the same with the receiver not offering interleaving (`interleave: false`), so the
 *   sender sends whole messages in the order they were sent: the one queue core had before, and
 *   what a peer from before interleaving gets;
 * - fair with both peers in this process (informational: both sides' work on one thread);
 * - raw: simple-peer alone on its data channel in this process, the 64 MiB in 64 KiB writes with
 *   its own flow control and the pings sent between them.
 *
 * Each ping is a 16-byte request answered by the other side; pings run one after another from
 * the moment the large message is queued until it has arrived whole.
 */
import { fileURLToPath } from 'node:url';
import { manual } from '../plugins/manual';
import { simplePeer } from '../plugins/simple-peer';
import { webrtc } from '../plugins/webrtc';
import { RAW_CHUNK, megabytesPerSecond } from './bulk';
import type { Connection } from '../core/connection/types';
import { closePair, connectManual, ourPeer, type OurPair, type OurPeer } from './ours';
import { rawSimplePeer, type RawPair } from './raw';
import { measurement, percentile, type Measurement } from './stats';
import { forkPeer, type ForkedPeer } from './forked-peer';
import type { FairnessPeerCommand, FairnessPeerReply } from './fairness-peer';

const PEER = fileURLToPath(new URL('./fairness-peer.ts', import.meta.url));
type PeerProcess = ForkedPeer<FairnessPeerCommand, FairnessPeerReply>;

const LARGE_BYTES = 64 * 1024 * 1024;
const TRANSFERS = 5;
/** Bounds the ping loop of one transfer whatever happens. */
const MAX_PINGS = 100_000;
const PING_BYTES = 16;
const PING_TIMEOUT_MS = 120_000;

interface Transfer {
  pings: number[];
  megabytesPerSecond: number;
}

export async function fairnessBenchmarks(log: (m: Measurement) => void): Promise<void> {
  const peers: OurPeer[] = [];
  const pairs: OurPair[] = [];
  const children: PeerProcess[] = [];
  let raw: RawPair | undefined;
  try {
    // The receiver in a process of its own, as each app runs its service.
    const acrossProcesses = async (interleave: boolean): Promise<Sender> => {
      const child = forkPeer<FairnessPeerCommand, FairnessPeerReply>(PEER, `fairness ${interleave ? 'fair' : 'FIFO'} receiver`, {
        stop: { type: 'stop' },
        stdout: 'inherit',
        waitMs: PING_TIMEOUT_MS,
      });
      children.push(child);
      child.send({ type: 'start', interleave });
      const a = await ourPeer('Alice', [manual(), webrtc(), simplePeer()], { interleave });
      peers.push(a);
      await child.next('started');
      const invite = a.manager.invite('manual');
      const shown = await a.attempt(invite.id, (s) => !!s.invite && !!s.question);
      child.send({ type: 'answer', link: shown.invite!.link });
      a.manager.answer(invite.id, shown.question!.id, (await child.next('reply')).code);
      const open = await a.attempt(invite.id, (s) => s.state === 'open');
      await child.next('opened');
      return { connection: a.manager.connection(open.connectionId!), arrival: () => child.next('arrived').then(() => {}) };
    };
    // Both peers in this process: each frame's work for both sides on one thread.
    const inProcess = async (interleave: boolean): Promise<Sender> => {
      const a = await ourPeer('Alice', [manual(), webrtc(), simplePeer()], { interleave });
      const b = await ourPeer('Bob', [manual(), webrtc(), simplePeer()], { interleave });
      peers.push(a, b);
      const pair = await connectManual(a, b);
      pairs.push(pair);
      pair.b.channel('ping').onRequest((message) => message);
      return {
        connection: pair.a,
        arrival: () =>
          new Promise<void>((resolve) => {
            const stop = pair.b.channel('bulk').onMessage(() => {
              stop();
              resolve();
            });
          }),
      };
    };
    const fair = await acrossProcesses(true);
    const fifo = await acrossProcesses(false);
    const fairHere = await inProcess(true);
    raw = await rawSimplePeer();
    const runs = { fair: [] as Transfer[], fifo: [] as Transfer[], 'fair, one process': [] as Transfer[], raw: [] as Transfer[] };
    for (let i = 0; i < TRANSFERS; i++) {
      runs.fair.push(await ourTransfer(fair));
      runs.fifo.push(await ourTransfer(fifo));
      runs['fair, one process'].push(await ourTransfer(fairHere));
      runs.raw.push(await rawTransfer(raw));
      progress(i, runs);
    }
    const pings = (side: Transfer[]) => side.flatMap((t) => t.pings);
    const rate = (side: Transfer[]) =>
      percentile(
        side.map((t) => t.megabytesPerSecond),
        0.5,
      );
    const rates = (side: Transfer[]) => side.map((t) => Math.round(t.megabytesPerSecond * 10) / 10);
    const during = 'ping while another channel sends 64 MiB';
    for (const [label, q] of [
      ['p50', 0.5],
      ['p99', 0.99],
    ] as const) {
      const target = label === 'p99' ? 'ours ≤ 20 ms' : undefined;
      for (const [side, suffix] of [
        [runs.fair, ', a process per peer'],
        [runs.fifo, ', FIFO (before), a process per peer'],
        [runs['fair, one process'], ', both peers in one process'],
      ] as const) {
        log(
          measurement('fairness', `${during}, ${label}${suffix}`, 'ms', percentile(pings(side), q), percentile(pings(runs.raw), q), {
            n: pings(side).length,
            ...(side === runs.fair && target ? { target } : {}),
          }),
        );
      }
    }
    const samples = (ours: Transfer[]) => ({ ours: rates(ours), raw: rates(runs.raw) });
    log(
      measurement('fairness', 'throughput of the 64 MiB send, a process per peer', 'MB/s', rate(runs.fair), rate(runs.raw), {
        n: TRANSFERS,
        samples: samples(runs.fair),
      }),
    );
    log(
      measurement('fairness', 'throughput of the 64 MiB send, FIFO (before), a process per peer', 'MB/s', rate(runs.fifo), rate(runs.raw), {
        n: TRANSFERS,
        samples: samples(runs.fifo),
      }),
    );
    log(
      measurement('fairness', 'throughput, fair vs FIFO, a process per peer (raw column: FIFO)', 'MB/s', rate(runs.fair), rate(runs.fifo), {
        n: TRANSFERS,
        target: 'ratio ≥ 0.9',
      }),
    );
    log(
      measurement('fairness', 'throughput of the 64 MiB send, both peers in one process', 'MB/s', rate(runs['fair, one process']), rate(runs.raw), {
        n: TRANSFERS,
        samples: samples(runs['fair, one process']),
      }),
    );
  } finally {
    await raw?.close();
    for (const pair of pairs) await closePair(pair);
    for (const peer of peers) await peer.stop();
    await Promise.all(children.map((child) => child.stop()));
  }
}

/** Where a transfer goes: the sending connection, and a wait for the large message's arrival
 * (armed before the send). */
interface Sender {
  connection: Connection;
  arrival(): Promise<void>;
}

function progress(i: number, runs: Record<string, Transfer[]>): void {
  const line = Object.entries(runs).map(([side, transfers]) => {
    const t = transfers[i]!;
    return `${side} ${t.megabytesPerSecond.toFixed(1)} MB/s, ${t.pings.length} pings, top ${[...t.pings]
      .sort((x, y) => y - x)
      .slice(0, 8)
      .map((p) => p.toFixed(0))
      .join(',')} ms`;
  });
  process.stderr.write(`fairness transfer ${i + 1}/${TRANSFERS}: ${line.join('; ')}\n`);
}

/** Queue the large message and the first ping at once; ping until the large one arrived. */
async function ourTransfer({ connection, arrival }: Sender): Promise<Transfer> {
  const arrived = arrival();
  const ping = new Uint8Array(PING_BYTES);
  const began = performance.now();
  const sent = connection.channel('bulk').send(new Uint8Array(LARGE_BYTES).fill(7));
  // Behind a whole 64 MiB message (FIFO) a ping may wait longer than a request's default timeout.
  const pings = await pingUntil(arrived, () =>
    connection
      .channel('ping')
      .request(ping, { timeoutMs: PING_TIMEOUT_MS })
      .then(() => {}),
  );
  await Promise.all([sent, arrived]);
  return { pings, megabytesPerSecond: megabytesPerSecond(LARGE_BYTES, performance.now() - began) };
}

async function rawTransfer(pair: RawPair): Promise<Transfer> {
  let received = 0;
  let pong = () => {};
  let arrivedWhole = () => {};
  const arrived = new Promise<void>((resolve) => (arrivedWhole = resolve));
  // Pings are the only messages of their size: bulk writes are RAW_CHUNK bytes.
  const stopEcho = pair.onData('b', (data) => {
    if (data.byteLength === PING_BYTES) return pair.send('b', data);
    received += data.byteLength;
    if (received >= LARGE_BYTES) arrivedWhole();
  });
  const stopPong = pair.onData('a', () => pong());
  try {
    const ping = new Uint8Array(PING_BYTES);
    const chunk = new Uint8Array(RAW_CHUNK).fill(7);
    const began = performance.now();
    const sent = (async () => {
      for (let offset = 0; offset < LARGE_BYTES; offset += RAW_CHUNK) await pair.write('a', chunk);
    })();
    const pings = await pingUntil(arrived, () => new Promise<void>((resolve) => ((pong = resolve), pair.send('a', ping))));
    await Promise.all([sent, arrived]);
    return { pings, megabytesPerSecond: megabytesPerSecond(LARGE_BYTES, performance.now() - began) };
  } finally {
    stopEcho();
    stopPong();
  }
}

/** Round trips of `ping`, one after another, until `done` settles (the last one started before). */
async function pingUntil(done: Promise<void>, ping: () => Promise<void>): Promise<number[]> {
  let finished = false;
  void done.then(() => (finished = true));
  const samples: number[] = [];
  while (!finished && samples.length < MAX_PINGS) {
    const began = performance.now();
    await ping();
    samples.push(performance.now() - began);
  }
  return samples;
}
