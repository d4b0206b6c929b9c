/**
 * Test support for the connection's own tests (not part of the public API): a connection whose
 * remote is driven frame by frame by the test, and taps that turn sink events into promises.
 */
import type { PeerInfo } from '../contracts/peer';
import type { Pipe, PipeSink } from '../contracts/transport';
import { createMemoryPipePair, type MemoryPipeOptions } from '../testing/memory-transport';
import { RecordingSink } from '../testing/helpers';
import { createConnection, type UpgradingConnection } from './connection';
import type { ConnectionOptions } from './types';
import { PROTOCOL_VERSION, decodeFrame, encodeHello, type Frame } from './wire';

export const LOCAL: PeerInfo = { id: 'llllllllllllllllllllllllll', name: 'Local' };
export const REMOTE: PeerInfo = { id: 'rrrrrrrrrrrrrrrrrrrrrrrrrr', name: 'Remote' };
export const STRANGER: PeerInfo = { id: 'ssssssssssssssssssssssssss', name: 'Stranger' };

/** Wraps a sink so a test can await the next frame (or one matching a predicate). */
export class SinkTap implements PipeSink {
  private waiters: { test: (frame: Uint8Array) => boolean; resolve: (frame: Uint8Array) => void }[] = [];
  constructor(private readonly inner: PipeSink) {}
  frame = (data: Uint8Array): void => {
    this.inner.frame(data);
    for (const waiter of [...this.waiters]) {
      if (!waiter.test(data)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(data);
    }
  };
  drain = (): void => this.inner.drain();
  closed = (error?: Error): void => this.inner.closed(error);
  next(test: (frame: Uint8Array) => boolean = () => true): Promise<Uint8Array> {
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }
}

export interface RawRemote {
  connection: UpgradingConnection;
  /** What the connection's sink receives, observable. */
  tap: SinkTap;
  /** The remote's end of the pipe: the test sends raw frames with it. */
  pipe: ReturnType<typeof createMemoryPipePair>['b'];
  /** Everything the connection sent, as received by the remote. */
  received: RecordingSink;
  decoded(): Frame[];
  /** Send the remote's hello and wait until the connection is open. */
  handshake(peer?: PeerInfo): Promise<void>;
  /** Send a frame and wait until the connection's sink got it. */
  deliver(frame: Uint8Array): Promise<void>;
}

/** The test plays the remote in clear: the connection does not encrypt its unbound pipe. */
export function rawRemote(options: Partial<ConnectionOptions> = {}, pipeOptions: MemoryPipeOptions = {}): RawRemote {
  const connection = createConnection({ local: LOCAL, encryptUnboundPipes: false, ...options });
  const tap = new SinkTap(connection.sink);
  const received = new RecordingSink();
  const { a, b } = createMemoryPipePair(tap, received, pipeOptions);
  connection.attach(a);
  const deliver = (frame: Uint8Array) => {
    const arrived = tap.next((data) => data.byteLength === frame.byteLength && data.every((v, i) => v === frame[i]));
    b.send(frame);
    return arrived.then(() => {});
  };
  return {
    connection,
    tap,
    pipe: b,
    received,
    decoded: () => received.frames.map((frame) => decodeFrame(frame)),
    deliver,
    async handshake(peer = REMOTE) {
      b.send(encodeHello({ protocol: PROTOCOL_VERSION, peer }));
      await connection.opened;
    },
  };
}

/** Two connections over a memory pipe pair, both attached and open. */
export async function openPair(options: { a?: Partial<ConnectionOptions>; b?: Partial<ConnectionOptions>; pipe?: MemoryPipeOptions } = {}) {
  const a = createConnection({ local: LOCAL, ...options.a });
  const b = createConnection({ local: REMOTE, ...options.b });
  const pipes = createMemoryPipePair(a.sink, b.sink, options.pipe);
  a.attach(pipes.a);
  b.attach(pipes.b);
  await Promise.all([a.opened, b.opened]);
  return { a, b, pipes };
}

/** A pipe wrapper that reports when the connection finds it over `limit` (it must now wait). */
export function watchBuffered(pipe: Pipe, limit: number): { pipe: Pipe; overLimit: Promise<void> } {
  let reached!: () => void;
  const overLimit = new Promise<void>((resolve) => (reached = resolve));
  return {
    overLimit,
    pipe: {
      maxFrameSize: pipe.maxFrameSize,
      lowWaterMark: pipe.lowWaterMark,
      send: (frame) => pipe.send(frame),
      close: () => pipe.close(),
      bufferedAmount: () => {
        const amount = pipe.bufferedAmount!();
        if (amount > limit) reached();
        return amount;
      },
    },
  };
}
