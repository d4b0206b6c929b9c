import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, decideRestart, recentCrashTimes, type RestartPolicy } from './restart-policy';

const policy: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 4000, factor: 2, maxCrashes: 5, windowMs: 60_000 };

describe('decideRestart', () => {
  it('backs off exponentially with the crashes inside the window, up to the maximum', () => {
    const delays = [1, 2, 3, 4].map((n) =>
      decideRestart(
        Array.from({ length: n }, (_, i) => i * 1000),
        10_000,
        policy,
      ),
    );
    expect(delays).toEqual([
      { action: 'restart', delayMs: 500, recentCrashes: 1 },
      { action: 'restart', delayMs: 1000, recentCrashes: 2 },
      { action: 'restart', delayMs: 2000, recentCrashes: 3 },
      { action: 'restart', delayMs: 4000, recentCrashes: 4 },
    ]);
    expect(decideRestart([1, 2, 3, 4], 10, { ...policy, maxCrashes: 10, maxDelayMs: 3000 })).toMatchObject({ delayMs: 3000 });
  });

  it('gives up at maxCrashes inside the window', () => {
    expect(decideRestart([0, 1, 2, 3, 4], 5, policy)).toEqual({ action: 'give-up', recentCrashes: 5 });
  });

  it('forgets crashes older than the window: a service that stayed up starts from the initial delay', () => {
    const old = [0, 1000, 2000, 3000];
    expect(decideRestart([...old, 100_000], 100_000, policy)).toEqual({ action: 'restart', delayMs: 500, recentCrashes: 1 });
    expect(recentCrashTimes([...old, 100_000], 100_000, policy)).toEqual([100_000]);
  });

  it('has sane defaults', () => {
    expect(DEFAULT_RESTART_POLICY.maxCrashes).toBeGreaterThan(1);
    expect(decideRestart([0], 0, DEFAULT_RESTART_POLICY)).toEqual({ action: 'restart', delayMs: DEFAULT_RESTART_POLICY.initialDelayMs, recentCrashes: 1 });
  });
});
