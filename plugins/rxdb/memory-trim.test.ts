import { afterEach, expect, it, vi } from 'vitest';
import { MemoryTrim } from './memory-trim';

afterEach(() => {
  vi.useRealTimers();
});

it('collects once after a bulk of documents has gone quiet, not during it, and not after small writes', () => {
  vi.useFakeTimers();
  const collect = vi.fn();
  const trim = new MemoryTrim({ collect, bulkDocuments: 1000, quietMs: 500 });
  trim.note(10);
  vi.advanceTimersByTime(10_000);
  expect(collect).not.toHaveBeenCalled(); // a small write: nothing to give back

  for (let i = 0; i < 20; i++) {
    trim.note(100);
    vi.advanceTimersByTime(400); // still coming: the quiet time starts again
  }
  expect(collect).not.toHaveBeenCalled();
  vi.advanceTimersByTime(100);
  expect(collect).toHaveBeenCalledTimes(1);

  // Counting starts over after a collection.
  trim.note(999);
  vi.advanceTimersByTime(10_000);
  expect(collect).toHaveBeenCalledTimes(1);
  trim.note(1);
  vi.advanceTimersByTime(500);
  expect(collect).toHaveBeenCalledTimes(2);
  trim.stop();
});

it('does nothing where the host exposes no collection, and nothing after stop', () => {
  vi.useFakeTimers();
  const without = new MemoryTrim({ collect: undefined, bulkDocuments: 1, quietMs: 1 });
  without.note(100);
  vi.advanceTimersByTime(1000);
  expect(without.collections).toBe(0);

  const collect = vi.fn();
  const stopped = new MemoryTrim({ collect, bulkDocuments: 1, quietMs: 100 });
  stopped.note(5);
  stopped.stop();
  vi.advanceTimersByTime(1000);
  expect(collect).not.toHaveBeenCalled();
});
