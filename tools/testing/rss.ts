import { readFileSync } from 'node:fs';

export interface Resident {
  /** Resident memory in MiB (VmRSS). */
  rss: number;
  /** Of it, private memory: heaps, stacks, native allocations (RssAnon). */
  anon: number;
  /** Of it, pages of mapped files: code, and a memory-mapped database such as LMDB, which the
   * kernel takes back under memory pressure as it does the page cache (RssFile). */
  file: number;
}

/** A process's resident memory in MiB, from /proc (zeros where there is none). */
export function residentMiB(pid: number): Resident {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // The process is gone.
  }
  const field = (name: string) => Math.round(Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
  return { rss: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile') };
}

/** A process's resident memory in MiB, from /proc (0 where there is none). */
export function rssMiB(pid: number): number {
  return residentMiB(pid).rss;
}
