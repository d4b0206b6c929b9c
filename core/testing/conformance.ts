/**
 * The transport conformance suite. A transport author calls
 *
 *   describeTransportConformance('my transport', fromTransport(myTransport));
 *
 * (or passes a fixture with a `connect(sinkA, sinkB)` of their own) in a vitest file, and gets
 * the pipe contract checked directly, then core's connection run over the pipes: handshake,
 * small and large messages, ordering, channels, requests, backpressure, close reasons, pipe
 * failure and timer leaks.
 *
 * Every case waits for events, never for time, and is bounded by a per-case timeout.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { PeerInfo } from '../contracts/peer';
import type { Pipe, PipeSink, Transport } from '../contracts/transport';
import { TransportError } from '../errors';
import type { Connection, ConnectionOptions, Message } from '../connection/types';
import { createTestConnection } from './connection';
import { BufferProbe, RecordingSink, activeTimeouts, frameSizes, nextTurns, pattern, sameBytes, sendFrames } from './helpers';
import { pairFromTransport } from './memory-transport';

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
const MiB = 1024 * 1024;

export function describeTransportConformance(name: string, fixture: ConformanceFixture): void {
  const timeout = fixture.timeoutMs ?? 30_000;
  const test = (title: string, body: (ctx: { skip(note?: string): never }) => Promise<void>) =>
    it(title, (ctx) => body(ctx as unknown as { skip(note?: string): never }), timeout);

  describe(`transport conformance: ${name}`, () => {
    afterAll(async () => {
      await fixture.teardown?.();
    });

    describe('pipe', () => {
      test('delivers frames up to maxFrameSize intact and in order, both ways', async () => {
        const pair = await openPipes(fixture);
        try {
          for (const [from, to] of [
            [pair.a, pair.sinkB],
            [pair.b, pair.sinkA],
          ] as const) {
            const frames = frameSizes(from.maxFrameSize).map((size, i) => pattern(size, i + 1));
            await sendFrames(from, from === pair.a ? pair.sinkA : pair.sinkB, frames);
            await to.until(() => to.frames.length >= frames.length, 'all frames');
            expect(to.frames.length).toBe(frames.length);
            to.frames.forEach((frame, i) => {
              expect(frame).toBeInstanceOf(Uint8Array);
              expect(sameBytes(frame, frames[i]!), `frame ${i} (${frames[i]!.byteLength} bytes) intact`).toBe(true);
            });
            to.frames.length = 0;
          }
        } finally {
          await pair.closeAll();
        }
      });

      test('send after close throws, on the closing end and (once told) on the remote', async () => {
        const pair = await openPipes(fixture);
        pair.a.close();
        expect(() => pair.a.send(new Uint8Array([1]))).toThrow();
        await pair.sinkB.untilClosed();
        expect(() => pair.b.send(new Uint8Array([1]))).toThrow();
        await pair.closeAll();
      });

      test('reports its secure session, if it has one, the same from both ends and before any frame', async (ctx) => {
        const pair = await openPipes(fixture);
        try {
          const { sinkA, sinkB } = pair;
          if (!fixture.secureSession && sinkA.bindings.length === 0 && sinkB.bindings.length === 0) {
            ctx.skip('this transport reports no binding (no secure session of its own)');
          }
          const sides = (sink: RecordingSink) => Object.fromEntries(sink.bindings.map(({ side, value }) => [side, value]));
          const [a, b] = [sides(sinkA), sides(sinkB)];
          // Each end's own session is the one the other end sees, and the two ends differ.
          expect(a.local).toBeDefined();
          expect(b.local).toBeDefined();
          expect(a.remote).toBe(b.local);
          expect(b.remote).toBe(a.local);
          expect(a.local).not.toBe(a.remote);
          for (const { side, framesBefore } of [...sinkA.bindings, ...sinkB.bindings]) expect(framesBefore, `the ${side} binding came after a frame`).toBe(0);
          for (const sink of [sinkA, sinkB]) expect(new Set(sink.bindings.map((b) => b.side)).size, 'each side reported once').toBe(sink.bindings.length);
        } finally {
          await pair.closeAll();
        }
      });

      test('bufferedAmount counts what was sent and not yet passed on, and drain() follows', async (ctx) => {
        const pair = await openPipes(fixture);
        try {
          if (!pair.a.bufferedAmount) ctx.skip('the pipe has no bufferedAmount');
          await checkBufferedAmount(pair);
        } finally {
          await pair.closeAll();
        }
      });

      if (fixture.pauseReading && fixture.resumeReading) {
        test('a paused reader holds the sender back: bufferedAmount stays up, with no drain(), until it reads', async () => {
          const pair = await openPipes(fixture);
          try {
            await checkSlowReaderHoldsSender(fixture, pair);
          } finally {
            await pair.closeAll();
          }
        });
      }

      for (const closer of ['a', 'b'] as const) {
        test(`close is idempotent and each sink sees closed() exactly once, without an error on either side (${closer} closes)`, async () => {
          await checkCleanClose(await openPipes(fixture), closer);
        });
      }
    });

    describe('connection over the pipe', () => {
      test('opens with a handshake: both sides learn who the other is', async () => {
        const c = await openConnections(fixture);
        try {
          expect(c.a.state).toBe('open');
          expect(c.b.state).toBe('open');
          expect(c.a.stage).toBe('open');
          expect(c.a.remote).toEqual(PEER_B);
          expect(c.b.remote).toEqual(PEER_A);
          expect(c.stagesA.slice(-2)).toEqual(['handshake', 'open']);
        } finally {
          await c.closeAll();
        }
      });

      test('echoes small messages, keeping bytes as bytes and JSON as JSON', async () => {
        const c = await openConnections(fixture);
        try {
          echo(c.b, 'echo');
          const messages: Message[] = [
            { text: 'hello', list: [1, 2.5, true, null], nested: { ok: 'yes' } },
            'a string',
            42,
            null,
            new Uint8Array([0, 1, 2, 254, 255]),
            new Uint8Array(0),
          ];
          const back = collect(c.a, 'echo');
          for (const m of messages) await c.a.channel('echo').send(m);
          await back.until(messages.length);
          messages.forEach((m, i) => {
            const got = back.messages[i];
            if (m instanceof Uint8Array) {
              expect(got).toBeInstanceOf(Uint8Array);
              expect(sameBytes(got as Uint8Array, m)).toBe(true);
            } else {
              expect(got).not.toBeInstanceOf(Uint8Array);
              expect(got).toEqual(m);
            }
          });
        } finally {
          await c.closeAll();
        }
      });

      test('echoes a large binary message and a large JSON message intact', async () => {
        const c = await openConnections(fixture);
        try {
          echo(c.b, 'big');
          const back = collect(c.a, 'big');
          const bytes = pattern(fixture.largeMessageBytes ?? 5 * MiB, 7);
          const json = { rows: Array.from({ length: 20_000 }, (_, i) => ({ i, name: `row ${i}`, tags: ['x', 'y'] })) };
          await Promise.all([c.a.channel('big').send(bytes), c.a.channel('big').send(json)]);
          await back.until(2);
          expect(back.messages[0]).toBeInstanceOf(Uint8Array);
          expect(sameBytes(back.messages[0] as Uint8Array, bytes)).toBe(true);
          expect(back.messages[1]).toEqual(json);
          expect(c.a.state).toBe('open');
        } finally {
          await c.closeAll();
        }
      });

      test('keeps 2000 messages in order', async () => {
        const c = await openConnections(fixture);
        try {
          const got = collect(c.b, 'order');
          const count = 2000;
          await Promise.all(Array.from({ length: count }, (_, i) => c.a.channel('order').send({ i })));
          await got.until(count);
          expect(got.messages.map((m) => (m as { i: number }).i)).toEqual(Array.from({ length: count }, (_, i) => i));
        } finally {
          await c.closeAll();
        }
      });

      test('carries 16 channels at once, both ways, each in order', async () => {
        const c = await openConnections(fixture);
        try {
          const channels = Array.from({ length: 16 }, (_, i) => `channel-${i}`);
          const perChannel = 40;
          const runs = [
            [c.a, c.b],
            [c.b, c.a],
          ].flatMap(([from, to]) =>
            channels.map(async (name, ch) => {
              const got = collect(to!, name);
              // Every 8th message is bigger than a frame, so chunked messages mix with small ones.
              const sends = Array.from({ length: perChannel }, (_, i) => from!.channel(name).send(i % 8 === 0 ? pattern(40_000, ch * 1000 + i) : { ch, i }));
              await Promise.all(sends);
              await got.until(perChannel);
              got.messages.forEach((m, i) => {
                if (i % 8 === 0) expect(sameBytes(m as Uint8Array, pattern(40_000, ch * 1000 + i))).toBe(true);
                else expect(m).toEqual({ ch, i });
              });
            }),
          );
          await Promise.all(runs);
        } finally {
          await c.closeAll();
        }
      });

      test('answers requests, and a remote handler error comes back as a rejection', async () => {
        const c = await openConnections(fixture);
        try {
          c.b.channel('math').onRequest((m) => ({ doubled: (m as { n: number }).n * 2 }));
          c.b.channel('bytes').onRequest(async (m) => (m as Uint8Array).slice().reverse());
          c.b.channel('broken').onRequest(() => {
            throw new Error('handler says no');
          });
          const answers = await Promise.all(Array.from({ length: 50 }, (_, n) => c.a.channel('math').request({ n })));
          expect(answers).toEqual(Array.from({ length: 50 }, (_, n) => ({ doubled: n * 2 })));
          const reversed = await c.a.channel('bytes').request(new Uint8Array([1, 2, 3]));
          expect(Array.from(reversed as Uint8Array)).toEqual([3, 2, 1]);
          await expect(c.a.channel('broken').request('anything')).rejects.toThrow('handler says no');
        } finally {
          await c.closeAll();
        }
      });

      test('applies backpressure: the pipe buffer stays bounded and sends finish once the reader reads', async (ctx) => {
        if (!(await checkBackpressure(fixture))) ctx.skip('the pipe has no bufferedAmount');
      });

      test('fair channels: small messages overtake a large one on another channel, each channel in order, the buffer bounded', async () => {
        const highWaterMark = 64 * 1024;
        const probe = new BufferProbe(highWaterMark);
        const c = await openConnections(fixture, { a: { highWaterMark } }, (pipe) => probe.wrap(pipe));
        try {
          const large = pattern(fixture.largeMessageBytes ?? 5 * MiB, 11);
          const bulk = collect(c.b, 'bulk');
          const live = collect(c.b, 'live');
          // Which arrived when, across both channels.
          const events: string[] = [];
          c.b.channel('bulk').onMessage((m) => events.push(m instanceof Uint8Array ? `bulk ${m.byteLength} bytes` : `bulk ${JSON.stringify(m)}`));
          c.b.channel('live').onMessage((m) => events.push(`live ${JSON.stringify(m)}`));
          // The large message starts at once, and stops when the pipe is over the mark or its
          // window is full (the window opens only as the remote acknowledges, on a later turn):
          // the small ones are sent while it is under way.
          const sends = [c.a.channel('bulk').send(large), c.a.channel('bulk').send({ after: 'large' })];
          sends.push(...Array.from({ length: 5 }, (_, i) => c.a.channel('live').send({ i })));
          await Promise.all(sends);
          await Promise.all([bulk.until(2), live.until(5)]);
          expect(events).toEqual([...Array.from({ length: 5 }, (_, i) => `live {"i":${i}}`), `bulk ${large.byteLength} bytes`, 'bulk {"after":"large"}']);
          expect(sameBytes(bulk.messages[0] as Uint8Array, large)).toBe(true);
          expect(probe.maxBuffered, 'buffered amount right after a send').toBeLessThanOrEqual(probe.bound);
        } finally {
          await c.closeAll();
        }
      });

      for (const closer of ['a', 'b'] as const) {
        test(`close from ${closer} reaches the other side with its reason`, async () => {
          const c = await openConnections(fixture);
          const [closing, other] = closer === 'a' ? [c.a, c.b] : [c.b, c.a];
          await closing.close('see you later');
          const remote = await other.closed;
          expect(remote).toEqual({ by: 'remote', code: 'closed', message: 'see you later' });
          expect(closing.closeReason).toEqual({ by: 'local', code: 'closed', message: 'see you later' });
          expect(closing.state).toBe('closed');
          expect(other.state).toBe('closed');
          await c.pipesClosed;
        });
      }

      test('a pipe that ends without a close frame closes both connections by error', async () => {
        const c = await openConnections(fixture);
        c.pipes.a.close(); // behind the connection's back
        const [a, b] = await Promise.all([c.a.closed, c.b.closed]);
        expect(a).toMatchObject({ by: 'error', code: 'pipe-closed' });
        expect(b).toMatchObject({ by: 'error', code: 'pipe-closed' });
        expect(c.a.state).toBe('failed');
        expect(c.b.state).toBe('failed');
        await c.pipesClosed;
      });

      if (fixture.breakPipe) {
        test('a failing pipe closes both connections by error', async () => {
          const c = await openConnections(fixture);
          fixture.breakPipe!(c.pipes.a);
          const [a, b] = await Promise.all([c.a.closed, c.b.closed]);
          expect(a.by).toBe('error');
          expect(b.by).toBe('error');
          await c.pipesClosed;
        });
      }

      test('leaves no timers behind once closed, even with a request pending', async () => {
        const before = activeTimeouts();
        const c = await openConnections(fixture);
        c.b.channel('slow').onRequest(() => new Promise<Message>(() => {})); // never answers
        const pending = c.a.channel('slow').request('wait');
        const outcome = pending.then(
          () => 'answered',
          (error: Error) => error.message,
        );
        await c.a.channel('slow').send('nudge');
        await c.a.close('done');
        expect(await outcome).toMatch(/closed/);
        await c.b.closed;
        await c.pipesClosed;
        expect(activeTimeouts()).toBeLessThanOrEqual(before);
      });
    });

    if (fixture.transport) {
      const transport = fixture.transport;
      describe('dialling', () => {
        test('without trickle, each side emits exactly one signal', async () => {
          const sinkA = new RecordingSink();
          const sinkB = new RecordingSink();
          const pair = await pairFromTransport(transport, { sinkA, sinkB, trickle: false });
          expect(pair.signals).toEqual({ a: 1, b: 1 });
          pair.a.close();
          pair.b.close();
          await Promise.all([sinkA.untilClosed(), sinkB.untilClosed()]);
        });

        test('a signal the transport cannot use throws a TransportError', async () => {
          const abort = new AbortController();
          const dial = transport.dial({
            initiator: false,
            sink: new RecordingSink(),
            sendSignal: () => {},
            stage: () => {},
            abort: abort.signal,
          });
          dial.pipe.catch(() => {});
          expect(() => dial.signal({ certainly: 'not a signal' })).toThrow(TransportError);
          abort.abort();
        });

        test('aborting a pending dial rejects its pipe', async () => {
          const abort = new AbortController();
          const dial = transport.dial({
            initiator: true,
            sink: new RecordingSink(),
            sendSignal: () => {},
            stage: () => {},
            abort: abort.signal,
          });
          abort.abort();
          await expect(dial.pipe).rejects.toThrow();
        });
      });
    }
  });
}

// ---- helpers ----------------------------------------------------------------------------------

/**
 * Core's connection over the fixture's pipes, 64 messages of 64 KiB sent at once: the pipe's
 * buffer stays within the high-water mark plus a frame, and every message arrives. With the
 * fixture's `pauseReading`, strictly: while the reader is paused, the buffered amount must rise
 * past the high-water mark and the sends must wait (a relay that takes everything and never
 * slows its sender fails here). Resolves false when the pipe has no `bufferedAmount` (nothing to
 * check). Exported so a transport's own tests can run it alone.
 */
export async function checkBackpressure(fixture: ConformanceFixture): Promise<boolean> {
  const highWaterMark = 64 * 1024;
  const probe = new BufferProbe(highWaterMark);
  const c = await openConnections(fixture, { a: { highWaterMark } }, (pipe) => probe.wrap(pipe));
  if (!c.pipes.a.bufferedAmount) {
    await c.closeAll();
    return false;
  }
  const paused = fixture.pauseReading && fixture.resumeReading;
  let resumed = false;
  const resume = () => {
    if (paused && !resumed) fixture.resumeReading!(c.pipes.b);
    resumed = true;
  };
  try {
    const got = collect(c.b, 'bulk');
    const count = 64;
    const payload = (i: number) => pattern(64 * 1024, i);
    if (paused) fixture.pauseReading!(c.pipes.b);
    let done = 0;
    const sends = Promise.all(
      Array.from({ length: count }, (_, i) =>
        c.a
          .channel('bulk')
          .send(payload(i))
          .then(() => void done++),
      ),
    );
    if (paused) {
      const first = await Promise.race([probe.blocked.then(() => 'blocked'), sends.then(() => 'all sent')]);
      expect(first, 'with the reader paused, bufferedAmount must rise past the high-water mark').toBe('blocked');
      expect(done, 'sends wait while the reader is paused').toBeLessThan(count);
      expect(got.messages.length).toBe(0);
      resume();
    }
    await sends;
    await got.until(count);
    got.messages.forEach((m, i) => expect(sameBytes(m as Uint8Array, payload(i))).toBe(true));
    expect(probe.maxBuffered, 'buffered amount right after a send').toBeLessThanOrEqual(probe.bound);
    return true;
  } finally {
    resume();
    await c.closeAll();
  }
}

/** One pipe pair, its sinks, and a close of both that waits for both sinks. */
export type OpenPipes = Awaited<ReturnType<typeof openPipes>>;

/** Most a burst of `checkBufferedAmount` sends: past what OS socket buffers take in one turn on
 * any host, and the point where a pipe that still shows nothing queued fails. */
const MAX_BURST_BYTES = 32 * MiB;

/**
 * A burst sent in one turn cannot all have left: frames go out in that turn until
 * `bufferedAmount()` shows more than `lowWaterMark` queued, and it must before `MAX_BURST_BYTES`
 * (a pipe that always says 0 defeats core's backpressure, and memory then grows with whatever is
 * sent). Once it falls to `lowWaterMark`, the sink's `drain()` must come, and every frame must
 * arrive. Exported so a transport's own tests can run it alone.
 */
export async function checkBufferedAmount(pair: OpenPipes): Promise<void> {
  const { a, sinkA, sinkB } = pair;
  const lowWaterMark = a.lowWaterMark;
  expect(lowWaterMark, 'a pipe with bufferedAmount declares its lowWaterMark').toBeTypeOf('number');
  const frameSize = Math.min(a.maxFrameSize, 64 * 1024);
  const drains = sinkA.drains;
  let count = 0;
  while (a.bufferedAmount!() <= lowWaterMark! && count * frameSize < MAX_BURST_BYTES) a.send(pattern(frameSize, count++));
  expect(
    a.bufferedAmount!(),
    `bufferedAmount() after ${count} frames (${count * frameSize} bytes) sent in one turn: it must count what is still queued`,
  ).toBeGreaterThan(lowWaterMark!);
  await sinkA.until(() => sinkA.drains > drains, 'drain() after the burst');
  expect(a.bufferedAmount!(), 'bufferedAmount() when drain() came').toBeLessThanOrEqual(lowWaterMark!);
  await sinkB.until(() => sinkB.frames.length >= count, `all ${count} frames of the burst`);
}

/** Event-loop turns a sender waits for a drain() before it counts as held back. */
const HELD_TURNS = 50;

/**
 * With the reader's end paused (the fixture's hooks), frames sent on the other end must back up
 * where the sender sees them: `bufferedAmount()` rises past `lowWaterMark` and no `drain()` comes
 * while the reader reads nothing. A path that takes everything (a relay that never slows its
 * sender) drains again and again: past `MAX_BURST_BYTES` it fails. Then the reader resumes and
 * every frame arrives. Needs `pauseReading` and `resumeReading`.
 */
export async function checkSlowReaderHoldsSender(fixture: ConformanceFixture, pair: OpenPipes): Promise<void> {
  const { a, b, sinkA, sinkB } = pair;
  expect(a.bufferedAmount && a.lowWaterMark !== undefined, 'a pipe with bufferedAmount and lowWaterMark').toBeTruthy();
  const frameSize = Math.min(a.maxFrameSize, 64 * 1024);
  fixture.pauseReading!(b);
  let count = 0;
  let resumed = false;
  try {
    for (;;) {
      while (a.bufferedAmount!() <= a.lowWaterMark! && count * frameSize < MAX_BURST_BYTES) a.send(pattern(frameSize, count++));
      expect(count * frameSize, `with the reader paused, ${count * frameSize} bytes went through: nothing held the sender back`).toBeLessThan(MAX_BURST_BYTES);
      const drains = sinkA.drains;
      await nextTurns(HELD_TURNS);
      if (sinkA.drains === drains) break; // held: nothing drained while the reader read nothing
    }
    expect(sinkB.frames.length, 'frames read by a paused reader').toBe(0);
    fixture.resumeReading!(b);
    resumed = true;
    await sinkB.until(() => sinkB.frames.length >= count, `all ${count} frames once the reader reads`);
  } finally {
    if (!resumed) fixture.resumeReading!(b);
  }
}

/** `closer` closes its end twice: each sink sees closed() once, and neither sees an error (a
 * clean close is not a failure, on either end). Closes both ends. */
export async function checkCleanClose(pair: OpenPipes, closer: 'a' | 'b'): Promise<void> {
  const closing = closer === 'a' ? pair.a : pair.b;
  closing.close();
  closing.close();
  await Promise.all([pair.sinkA.untilClosed(), pair.sinkB.untilClosed()]);
  pair.a.close();
  pair.b.close();
  await nextTurns(3); // room for a wrong second closed() to show up
  expect(pair.sinkA.closes.length).toBe(1);
  expect(pair.sinkB.closes.length).toBe(1);
  const [own, remote] = closer === 'a' ? [pair.sinkA, pair.sinkB] : [pair.sinkB, pair.sinkA];
  expect(own.closes[0], 'a local close is not an error').toBeUndefined();
  expect(remote.closes[0], 'a clean close by the remote is not an error').toBeUndefined();
}

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

interface OpenConnections {
  a: Connection;
  b: Connection;
  pipes: { a: Pipe; b: Pipe };
  stagesA: string[];
  /** Resolves once both pipes reported closed() to their sinks. */
  pipesClosed: Promise<void>;
  closeAll(): Promise<void>;
}

async function openConnections(
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

function echo(connection: Connection, name: string): void {
  const channel = connection.channel(name);
  channel.onMessage((message) => void channel.send(message).catch(() => {}));
}

function collect(connection: Connection, name: string) {
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
