/**
 * The conformance suite catches transports that are wrong in ways a person would not notice in
 * a demo: each check below runs against a memory pipe broken on purpose, and must fail, saying
 * what is wrong. (The suite itself runs against the correct memory pipe in memory.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { Pipe, PipeSink } from '../contracts/transport';
import { checkBufferedAmount, checkCleanClose, checkSlowReaderHoldsSender, openPipes, type ConformanceFixture } from './conformance';
import { createMemoryPipePair, type MemoryPipe } from './memory-transport';

/**
 * A relay between two memory pipe pairs (A ↔ relay ↔ B), frames passed on as they come. With
 * `backpressure`, it stops reading from one side while the other side's pipe holds more than
 * its low-water mark, as a relay must; without, it takes everything and queues it.
 */
function relay(backpressure: boolean): ConformanceFixture {
  return {
    async connect(sinkA, sinkB) {
      let left!: { a: MemoryPipe; b: MemoryPipe };
      let right!: { a: MemoryPipe; b: MemoryPipe };
      const pass = (to: () => MemoryPipe, from: () => MemoryPipe): PipeSink => ({
        frame: (data) => {
          to().send(data);
          if (backpressure && to().bufferedAmount!() > to().lowWaterMark!) from().pauseReading();
        },
        // This end's own queue (toward its side) drained: the other end may read again.
        drain: () => backpressure && to().resumeReading(),
        closed: () => to().close(),
      });
      // The relay's end of each pair reads from it and writes to the other pair.
      left = createMemoryPipePair(
        sinkA,
        pass(
          () => right.a,
          () => left.b,
        ),
      );
      right = createMemoryPipePair(
        pass(
          () => left.b,
          () => right.a,
        ),
        sinkB,
      );
      return { a: left.a, b: right.b };
    },
    pauseReading: (pipe) => (pipe as MemoryPipe).pauseReading(),
    resumeReading: (pipe) => (pipe as MemoryPipe).resumeReading(),
  };
}

/** A memory pipe pair with end `a` changed by `wrapA` and the sinks changed by `wrapSinkB`. */
function broken(wrapA: (pipe: Pipe) => Pipe, wrapSinkB: (sink: PipeSink) => PipeSink = (sink) => sink): ConformanceFixture {
  return {
    async connect(sinkA, sinkB) {
      const { a, b } = createMemoryPipePair(sinkA, wrapSinkB(sinkB));
      return { a: wrapA(a), b };
    },
  };
}

describe('the conformance checks fail a transport that', () => {
  it('says nothing is buffered while it holds megabytes (bufferedAmount always 0)', async () => {
    const pair = await openPipes(
      broken((pipe) => ({
        maxFrameSize: pipe.maxFrameSize,
        lowWaterMark: pipe.lowWaterMark,
        send: (frame) => pipe.send(frame),
        bufferedAmount: () => 0,
        close: () => pipe.close(),
      })),
    );
    try {
      await expect(checkBufferedAmount(pair)).rejects.toThrow(/must count what is still queued/);
    } finally {
      await pair.closeAll();
    }
  });

  it('reports a clean close by the remote as a failure', async () => {
    const pair = await openPipes(
      broken(
        (pipe) => pipe,
        (sink) => ({ ...sink, closed: (error) => sink.closed(error ?? new Error('the remote closed')) }),
      ),
    );
    await expect(checkCleanClose(pair, 'a')).rejects.toThrow(/a clean close by the remote is not an error/);
  });

  it('relays without slowing its sender while the reader is paused', async () => {
    const fixture = relay(false);
    const pair = await openPipes(fixture);
    try {
      await expect(checkSlowReaderHoldsSender(fixture, pair)).rejects.toThrow(/nothing held the sender back/);
    } finally {
      await pair.closeAll();
    }
  });

  it('passes when nothing is broken (a relay with backpressure too)', async () => {
    const good = relay(true);
    const relayed = await openPipes(good);
    try {
      await checkSlowReaderHoldsSender(good, relayed);
    } finally {
      await relayed.closeAll();
    }
    const fixture = broken((pipe) => pipe);
    const pair = await openPipes(fixture);
    try {
      await checkBufferedAmount(pair);
    } finally {
      await pair.closeAll();
    }
    await checkCleanClose(await openPipes(fixture), 'b');
  });
});
