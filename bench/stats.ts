/** Small measurement helpers shared by the benchmarks. */
export function percentile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

export async function repeat(times: number, once: () => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push(await once());
  return samples;
}

/** Between timed samples: the previous sample's teardown runs on after its close resolves (ours
 * closes its data channel and peer connection in the background), and must not land in the
 * next sample, ours or raw. On loopback it takes a few milliseconds (traced: no close of ours
 * fell in a raw sample after this pause); taken alike after every sample. */
const COOL_DOWN_MS = 25;

export function coolDown(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, COOL_DOWN_MS));
}

/** `times` samples of each, alternated (ours, raw, ours, ...) so that drift on a shared machine
 * hits both alike. */
export async function alternated(times: number, ours: () => Promise<number>, raw: () => Promise<number>): Promise<{ ours: number[]; raw: number[] }> {
  const samples = { ours: [] as number[], raw: [] as number[] };
  for (let i = 0; i < times; i++) {
    samples.ours.push(await ours());
    samples.raw.push(await raw());
  }
  return samples;
}

export async function timed(work: () => Promise<unknown>): Promise<number> {
  const began = performance.now();
  await work();
  return performance.now() - began;
}

export interface Measurement {
  bench: string;
  metric: string;
  unit: string;
  ours: number;
  raw: number;
  /** ours / raw */
  ratio: number;
  target?: string;
  n?: number;
  /** The network path both sides took (lab rows), as checked during the measurement. */
  path?: string;
  /** Every sample, where a handful make the median (the spread shows how noisy the run was). */
  samples?: { ours: number[]; raw: number[] };
}

export function measurement(bench: string, metric: string, unit: string, ours: number, raw: number, extra: Partial<Measurement> = {}): Measurement {
  return { bench, metric, unit, ours: round(ours), raw: round(raw), ratio: round(ours / raw, 3), ...extra };
}

/** A figure with nothing raw to set beside it (a time of ours alone): raw and ratio show as —. */
export function figure(bench: string, metric: string, unit: string, ours: number, extra: Partial<Measurement> = {}): Measurement {
  return { bench, metric, unit, ours: round(ours), raw: NaN, ratio: NaN, ...extra };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function table(rows: readonly Measurement[]): string {
  const withPath = rows.some((r) => r.path);
  const head = ['bench', 'metric', 'ours', 'raw', 'ours/raw', 'target', ...(withPath ? ['path'] : [])];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    `${r.ours} ${r.unit}`,
    Number.isNaN(r.raw) ? '—' : `${r.raw} ${r.unit}`,
    Number.isNaN(r.ratio) ? '—' : r.ratio.toFixed(3),
    r.target ?? '',
    ...(withPath ? [r.path ?? ''] : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
