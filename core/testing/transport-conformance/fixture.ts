/**
 * What the transport conformance suite runs on: the fixture a transport author gives (or
 * `fromTransport` makes), and the pipes and connections each case opens over it.
 */
import type { PeerInfo } from '../../contracts/peer';
import type { Pipe, PipeSink, Transport } from '../../contracts/transport';
import type { Connection, ConnectionOptions, Message } from '../../connection/types';
import { createTestConnection } from '../connection';
import { RecordingSink } from '../helpers';
import { pairFromTransport } from '../memory-transport';

export interface ConformanceFixture {
  /** Open one pipe pair whose ends report to `sinkA` and `sinkB`. */
  connect(sinkA: PipeSink, sinkB: PipeSink): Promise<{ a: Pipe; b: Pipe }>;
  /** Runs once after all cases (stop a broker, say). */
  teardown?(): Promise<void> | void;
  /** Optional: stop and resume delivering frames to this pipe's end (a slow reader). Enables
   * the strict backpressure case. */
  pauseReading?(pipe: Pipe): void;
  resumeReading?(pipe: Pipe): void;
  /** Optional: make the pipe fail abnormally (both ends should then see `closed(error)`). */
  breakPipe?(pipe: Pipe): void;
  /** Per-case timeout in ms. Default 30000. */
  timeoutMs?: number;
  /** Size of the large-message case. Default 5 MiB. */
  largeMessageBytes?: number;
  /** The raw-signal transport behind `connect`, if any (set by `fromTransport`): adds dial cases. */
  transport?: Transport;
  /** The transport has a secure session of its own (WebRTC's DTLS): it must report its binding
   * (`PipeSink.binding`). Without this, a transport that reports none skips that case. */
  secureSession?: boolean;
}

export type TransportFixtureOptions = Omit<ConformanceFixture, 'connect' | 'transport'> & {
  /** Passed to both dials. Default true. */
  trickle?: boolean;
};

/** A fixture that dials both sides of a raw-signal transport in-process (`pairFromTransport`). */
export function fromTransport(transport: Transport, options: TransportFixtureOptions = {}): ConformanceFixture {
  const { trickle, ...rest } = options;
  return {
    ...rest,
    transport,
    async connect(sinkA, sinkB) {
      const { a, b } = await pairFromTransport(transport, { sinkA, sinkB, trickle });
      return { a, b };
    },
  };
}

export const PEER_A: PeerInfo = { id: 'aaaaaaaaaaaaaaaaaaaaaaaaaa', name: 'Conformance A' };
export const PEER_B: PeerInfo = { id: 'bbbbbbbbbbbbbbbbbbbbbbbbbb', name: 'Conformance B' };
export const MiB = 1024 * 1024;

/** Declares one case, bounded by the fixture's timeout; `skip` says why a case does not apply. */
export type Case = (title: string, body: (ctx: { skip(note?: string): never }) => Promise<void>) => void;

/** One pipe pair, its sinks, and a close of both that waits for both sinks. */
export type OpenPipes = Awaited<ReturnType<typeof openPipes>>;

export async function openPipes(fixture: ConformanceFixture) {
  const sinkA = new RecordingSink();
  const sinkB = new RecordingSink();
  const { a, b } = await fixture.connect(sinkA, sinkB);
  return {
    a,
    b,
    sinkA,
    sinkB,
    async closeAll() {
      a.close();
      b.close();
      await Promise.all([sinkA.untilClosed(), sinkB.untilClosed()]);
    },
  };
}

export interface OpenConnections {
  a: Connection;
  b: Connection;
  pipes: { a: Pipe; b: Pipe };
  stagesA: string[];
  /** Resolves once both pipes reported closed() to their sinks. */
  pipesClosed: Promise<void>;
  closeAll(): Promise<void>;
}

export async function openConnections(
  fixture: ConformanceFixture,
  options: { a?: Partial<ConnectionOptions>; b?: Partial<ConnectionOptions> } = {},
  wrapA: (pipe: Pipe) => Pipe = (pipe) => pipe,
): Promise<OpenConnections> {
  const a = createTestConnection({ ...options.a, local: PEER_A, expectedRemote: PEER_B.id });
  const b = createTestConnection({ ...options.b, local: PEER_B, expectedRemote: PEER_A.id });
  const stagesA: string[] = [];
  a.on('stage', (stage) => stagesA.push(stage));
  // Tap the sinks to know when the pipes themselves are done, not just the connections.
  const tapA = tapClosed(a.sink);
  const tapB = tapClosed(b.sink);
  const pipes = await fixture.connect(tapA.sink, tapB.sink);
  a.attach(wrapA(pipes.a));
  b.attach(pipes.b);
  await Promise.all([a.opened, b.opened]);
  const pipesClosed = Promise.all([tapA.closed, tapB.closed]).then(() => {});
  return {
    a,
    b,
    pipes,
    stagesA,
    pipesClosed,
    async closeAll() {
      await Promise.all([a.close(), b.close()]);
      await pipesClosed;
    },
  };
}

/** Runs `body` on two open connections, and closes them (and waits for their pipes) after it,
 * whether it passed or failed. */
export async function withConnections(fixture: ConformanceFixture, body: (c: OpenConnections) => Promise<void>): Promise<void> {
  const c = await openConnections(fixture);
  try {
    await body(c);
  } finally {
    await c.closeAll();
  }
}

function tapClosed(sink: PipeSink): { sink: PipeSink; closed: Promise<void> } {
  let resolve!: () => void;
  const closed = new Promise<void>((r) => (resolve = r));
  return {
    closed,
    sink: {
      frame: (data) => sink.frame(data),
      drain: () => sink.drain(),
      closed: (error) => {
        sink.closed(error);
        resolve();
      },
    },
  };
}

export function echo(connection: Connection, name: string): void {
  const channel = connection.channel(name);
  channel.onMessage((message) => void channel.send(message).catch(() => {}));
}

export function collect(connection: Connection, name: string) {
  const messages: Message[] = [];
  const waiters: (() => boolean)[] = [];
  connection.channel(name).onMessage((message) => {
    messages.push(message);
    for (const waiter of waiters.splice(0)) if (!waiter()) waiters.push(waiter);
  });
  return {
    messages,
    until(count: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const test = () => (messages.length >= count ? (resolve(), true) : false);
        if (test()) return;
        waiters.push(test);
        connection.closed.then((reason) =>
          reject(new Error(`connection closed (${reason.code}: ${reason.message}) after ${messages.length}/${count} messages`)),
        );
      });
    },
  };
}
