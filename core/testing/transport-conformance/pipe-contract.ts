/** The pipe contract: frames delivered whole and in order both ways, no send after a close. */
import { expect } from 'vitest';
import { frameSizes, pattern, sameBytes, sendFrames } from '../helpers';
import { openPipes, type Case, type ConformanceFixture } from './fixture';

/** The pipe itself, with no connection on it. */
export function pipeContractCases(fixture: ConformanceFixture, test: Case): void {
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
}
