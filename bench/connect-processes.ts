/**
 * PeerJS connect time with each peer in its own process (bench/connect-peer.ts), ours and raw
 * alternated: how people use it, each peer an app of its own, and each peer's work on its own
 * thread. (With both peers in one process, bench/connections.ts, the two peers' work queues on
 * one thread, so every per-peer cost counts twice.)
 *
 * One connect: from the answerer's start (ours: `openLink` + approve; raw: `peer.connect`) until
 * both peers are open, read on the one monotonic clock both processes share.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PeerCommand, PeerReply } from './connect-peer';
import type { BrokerAddress } from './raw';

const PEER = fileURLToPath(new URL('./connect-peer.ts', import.meta.url));
/** Any single wait longer than this fails the bench instead of hanging it. */
const WAIT_MS = 30_000;

type Kind = 'ours' | 'raw';

/** A forked peer: send commands, await replies of a given type in order. */
class PeerProcess {
  readonly #child: ChildProcess;
  readonly #replies: PeerReply[] = [];
  #wake: () => void = () => {};
  readonly exited: Promise<number | null>;

  constructor() {
    this.#child = fork(PEER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (message: PeerReply) => {
      this.#replies.push(message);
      this.#wake();
    });
    this.exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
  }

  send(command: PeerCommand): void {
    this.#child.send(command);
  }

  async next<T extends PeerReply['type']>(type: T): Promise<Extract<PeerReply, { type: T }>> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const failed = this.#replies.find((r) => r.type === 'error');
      if (failed) throw new Error(`bench peer: ${(failed as { message: string }).message}`);
      const index = this.#replies.findIndex((r) => r.type === type);
      if (index >= 0) return this.#replies.splice(index, 1)[0] as Extract<PeerReply, { type: T }>;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`bench peer: no "${type}" within ${WAIT_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.connected) this.send({ type: 'stop' });
    const code = await Promise.race([this.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5000).unref())]);
    if (code === 'hung') this.#child.kill('SIGKILL');
  }
}

interface Pair {
  inviter: PeerProcess;
  answerer: PeerProcess;
}

/** `started` collects the processes, so they are stopped even if starting fails. */
async function startPair(kind: Kind, broker: BrokerAddress, started: PeerProcess[]): Promise<Pair> {
  const pair = { inviter: new PeerProcess(), answerer: new PeerProcess() };
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
    const times: Record<Kind, number[]> = { ours: [], raw: [] };
    for (let i = 0; i < connects; i++) {
      times.ours.push(await connectOnce(ours));
      times.raw.push(await connectOnce(raw));
    }
    return times;
  } finally {
    await Promise.all(started.map((peer) => peer.stop()));
  }
}
