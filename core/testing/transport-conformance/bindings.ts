/** Bindings: a transport with a secure session of its own reports it, the same from both ends
 * and before any frame, so core binds the peers' proofs of identity to it. */
import { expect } from 'vitest';
import type { RecordingSink } from '../helpers';
import { openPipes, type Case, type ConformanceFixture } from './fixture';

/** A secure session reported consistently (skipped for a transport that reports none, unless the fixture says it has one). */
export function bindingCases(fixture: ConformanceFixture, test: Case): void {
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
}
