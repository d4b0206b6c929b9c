/**
 * When to restart a crashed service, and when to stop trying. Pure arithmetic so that it can be
 * tested without clocks: the supervisor passes the crash times and the current time.
 *
 * Backoff grows with the number of crashes inside the window (a service that stayed up longer
 * than the window starts again from the initial delay); `maxCrashes` inside the window means
 * something is wrong that restarting will not fix, so the supervisor gives up and says so.
 */
export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  maxCrashes: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  factor: 2,
  maxCrashes: 5,
  windowMs: 60_000,
});

export type RestartDecision = { action: 'restart'; delayMs: number; recentCrashes: number } | { action: 'give-up'; recentCrashes: number };

/** `crashTimes` includes the crash being decided on. */
export function decideRestart(crashTimes: readonly number[], now: number, policy: RestartPolicy): RestartDecision {
  const recentCrashes = crashTimes.filter((time) => now - time < policy.windowMs).length;
  if (recentCrashes >= policy.maxCrashes) return { action: 'give-up', recentCrashes };
  const exponent = Math.max(0, recentCrashes - 1);
  const delayMs = Math.min(policy.maxDelayMs, Math.round(policy.initialDelayMs * policy.factor ** exponent));
  return { action: 'restart', delayMs, recentCrashes };
}

/** Crash times still inside the window (the supervisor keeps only these). */
export function recentCrashTimes(crashTimes: readonly number[], now: number, policy: RestartPolicy): number[] {
  return crashTimes.filter((time) => now - time < policy.windowMs);
}
