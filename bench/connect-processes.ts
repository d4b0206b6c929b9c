/**
 * PeerJS connect time with each peer in its own process (bench/connect-peer.ts), ours and raw
 * alternated: how people use it, each peer an app of its own, and each peer's work on its own
 * thread. (With both peers in one process, bench/connections.ts, the two peers' work queues on
 * one thread, so every per-peer cost counts twice.)
 *
 * One connect: from the answerer's start (ours: `openLink` + approve; raw: `peer.connect`) until
 * both peers are open, read on the one monotonic clock both processes share.
 */
import { fileURLToPath } from 'node:url';
import type { PeerCommand, PeerReply } from './connect-peer';
import type { BrokerAddress } from './raw';
import { forkPeer, type ForkedPeer } from './forked-peer';
import { alternated, coolDown } from './stats';

const PEER = fileURLToPath(new URL('./connect-peer.ts', import.meta.url));
/** Any single wait longer than this fails the bench instead of hanging it. */
const WAIT_MS = 30_000;

type Kind = 'ours' | 'raw';

type PeerProcess = ForkedPeer<PeerCommand, PeerReply>;

interface Pair {
  inviter: PeerProcess;
  answerer: PeerProcess;
}

/** `started` collects the processes, so they are stopped even if starting fails. */
async function startPair(kind: Kind, broker: BrokerAddress, started: PeerProcess[]): Promise<Pair> {
  const start = (name: string) => forkPeer<PeerCommand, PeerReply>(PEER, name, { stop: { type: 'stop' }, stdout: 'inherit', waitMs: WAIT_MS });
  const pair = { inviter: start(`${kind} inviter`), answerer: start(`${kind} answerer`) };
  started.push(pair.inviter, pair.answerer);
  pair.inviter.send({ type: 'start', kind, name: 'Alice', broker });
  pair.answerer.send({ type: 'start', kind, name: 'Bob', broker });
  await Promise.all([pair.inviter.next('started'), pair.answerer.next('started')]);
  return pair;
}

/** One connect and close; returns the connect time in ms. */
async function connectOnce({ inviter, answerer }: Pair): Promise<number> {
  inviter.send({ type: 'prepare' });
  const { target } = await inviter.next('prepared');
  answerer.send({ type: 'connect', target });
  const [invited, answered] = await Promise.all([inviter.next('opened'), answerer.next('opened')]);
  answerer.send({ type: 'close' });
  await Promise.all([inviter.next('closed'), answerer.next('closed')]);
  await coolDown();
  return Math.max(invited.at, answered.at) - answered.started!;
}

/** `connects` connect times for ours and for raw, alternated, each after one untimed warm-up. */
export async function peerjsConnectsAcrossProcesses(broker: BrokerAddress, connects: number): Promise<Record<Kind, number[]>> {
  const started: PeerProcess[] = [];
  try {
    const ours = await startPair('ours', broker, started);
    const raw = await startPair('raw', broker, started);
    await connectOnce(ours);
    await connectOnce(raw);
    return await alternated(
      connects,
      () => connectOnce(ours),
      () => connectOnce(raw),
    );
  } finally {
    await Promise.all(started.map((peer) => peer.stop()));
  }
}
