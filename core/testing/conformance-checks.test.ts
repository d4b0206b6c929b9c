/**
 * The conformance suite catches transports that are wrong in ways a person would not notice in
 * a demo: each check below runs against a memory pipe broken on purpose, and must fail, saying
 * what is wrong. (The suite itself runs against the correct memory pipe in memory.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { Pipe, PipeSink } from '../contracts/transport';
import { checkBufferedAmount, checkCleanClose, openPipes, type ConformanceFixture } from './conformance';
import { createMemoryPipePair } from './memory-transport';

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

  it('passes when nothing is broken', async () => {
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
