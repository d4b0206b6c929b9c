import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OVERSCAN_ROWS, visibleRange } from './visible-range';

describe('visibleRange', () => {
  it('renders the rows in view and a few either side, whatever the list length', () => {
    expect(visibleRange({ count: 10_000, scrollTop: 0, viewport: 560, rowHeight: 56 })).toEqual({
      first: 0,
      last: 10 + OVERSCAN_ROWS,
      before: 0,
      after: 10_000 - 10 - OVERSCAN_ROWS,
    });
    expect(visibleRange({ count: 10_000, scrollTop: 56 * 5000, viewport: 560, rowHeight: 56 })).toEqual({
      first: 5000 - OVERSCAN_ROWS,
      last: 5010 + OVERSCAN_ROWS,
      before: 5000 - OVERSCAN_ROWS,
      after: 10_000 - 5010 - OVERSCAN_ROWS,
    });
    expect(visibleRange({ count: 3, scrollTop: 0, viewport: 560, rowHeight: 56 })).toEqual({ first: 0, last: 3, before: 0, after: 0 });
  });

  it('always covers the viewport, stays within the list, and keeps the scroll height', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200_000 }),
        fc.integer({ min: 0, max: 20_000_000 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 1, max: 200 }),
        (count, scrollTop, viewport, rowHeight) => {
          const r = visibleRange({ count, scrollTop, viewport, rowHeight });
          expect(0 <= r.first && r.first <= r.last && r.last <= count).toBe(true);
          expect(r.before + (r.last - r.first) + r.after).toBe(count);
          // Every row that intersects the viewport is rendered.
          const firstInView = Math.floor(scrollTop / rowHeight);
          const lastInView = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight));
          if (firstInView < count) expect(r.first <= firstInView && r.last >= lastInView).toBe(true);
          expect(r.last - r.first).toBeLessThanOrEqual(Math.ceil(viewport / rowHeight) + 2 * OVERSCAN_ROWS + 1);
        },
      ),
    );
  });
});
