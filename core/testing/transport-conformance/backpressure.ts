/** Backpressure: what a pipe cannot pass on yet shows in `bufferedAmount()`, a slow reader holds
 * the sender back, core's sends wait for it, and channels share the pipe fairly. */
import { expect } from 'vitest';
import { BufferProbe, nextTurns, pattern, sameBytes } from '../helpers';
import { MiB, collect, openConnections, openPipes, type Case, type ConformanceFixture, type OpenPipes } from './fixture';

/** On the pipe, then on a connection over it. */
export function backpressureCases(fixture: ConformanceFixture, test: Case): void {
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
}

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
  // The value that ended the burst: a native pipe drains on threads of its own, and may have
  // passed some on by the time it is read again.
  let buffered = a.bufferedAmount!();
  while (buffered <= lowWaterMark! && count * frameSize < MAX_BURST_BYTES) {
    a.send(pattern(frameSize, count++));
    buffered = a.bufferedAmount!();
  }
  expect(buffered, `bufferedAmount() after ${count} frames (${count * frameSize} bytes) sent in one turn: it must count what is still queued`).toBeGreaterThan(
    lowWaterMark!,
  );
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
