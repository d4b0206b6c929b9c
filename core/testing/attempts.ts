/**
 * Waiting on a ConnectionManager's attempts in tests and benchmarks: each attempt's latest
 * summary is kept from the moment of watching, so a wait never misses an event that came before
 * it began.
 */
import type { ConnectionManager } from '../kernel/connections';
import type { AttemptSummary } from '../protocol/shapes';

const ENDED = new Set(['failed', 'rejected', 'cancelled']);

/** Resolves with attempt `id` once `predicate` holds for it; rejects if it ends (failed,
 * rejected, cancelled) without. */
export type AttemptWait = (id: string, predicate: (attempt: AttemptSummary) => boolean) => Promise<AttemptSummary>;

export function watchAttempts(manager: ConnectionManager): AttemptWait {
  const latest = new Map<string, AttemptSummary>();
  const waiters = new Set<() => void>();
  manager.on('attempt', (attempt) => {
    latest.set(attempt.id, attempt);
    for (const waiter of [...waiters]) waiter();
  });
  return (id, predicate) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const attempt = latest.get(id);
        if (!attempt) return;
        if (predicate(attempt)) resolve(attempt);
        else if (ENDED.has(attempt.state)) reject(new Error(`attempt ${attempt.state}: ${attempt.error?.message ?? ''}`));
        else return;
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
}
