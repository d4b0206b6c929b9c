import { LabError } from './exec';

/** Polls `condition` every `intervalMs` until it returns a value other than undefined, at most
 * until `timeoutMs` has passed; then fails saying what was awaited. */
export async function pollUntil<T>(
  what: string,
  condition: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    const value = await condition();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new LabError(`netlab: gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}
