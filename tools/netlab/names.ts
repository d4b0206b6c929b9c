/**
 * Names of what a lab makes. Every lab has an id `wn<pid>x<n>` (the creating process's pid,
 * then a counter in base 36): its namespaces are `<id>-<role>`, its interfaces `<id><suffix>`
 * (at most 14 characters: Linux allows 15), its temp folder `<tmpdir>/<id>-<random>`. Two
 * test files, or two labs in one file, never share a name, and a lab left behind by a process
 * that died (SIGKILL, a crash) is recognised by its dead pid and swept by the next lab.
 */
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError, run } from './exec';

export const LAB_PREFIX = 'wn';
/** `wn<pid>x<n>` then `-` (namespaces, folders): the pid is the creator's. */
const LEFTOVER = /^wn(\d{1,10})x[0-9a-z]{1,4}-/;

let labs = 0;

export function nextLabId(): string {
  const id = `${LAB_PREFIX}${process.pid}x${(labs++).toString(36)}`;
  if (id.length > 12) throw new LabError(`netlab: lab id ${id} is too long for interface names`);
  return id;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The namespaces that exist now (`ip netns list`), by name. */
export async function listNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');
}

/** Kills every process in `namespace` (a lab's own) and waits, boundedly, for them to go. */
export async function killNamespacePids(namespace: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const pids = (await run('ip', ['netns', 'pids', namespace]).catch(() => ''))
      .split('\n')
      .map(Number)
      .filter((pid) => pid > 0);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    // A killed process leaves the namespace as it exits: poll again, boundedly.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new LabError(`netlab: processes in namespace ${namespace} survived SIGKILL`);
}

/** Removes the namespaces and temp folders of labs whose creating process is dead. Returns
 * what it removed. */
export async function sweepLeftovers(): Promise<string[]> {
  const swept: string[] = [];
  const dead = (name: string) => {
    const pid = LEFTOVER.exec(name)?.[1];
    return pid !== undefined && !alive(Number(pid));
  };
  for (const namespace of (await listNamespaces()).filter(dead)) {
    await killNamespacePids(namespace);
    try {
      await run('ip', ['netns', 'delete', namespace]);
    } catch (error) {
      // Another lab's sweep (a test file starting at the same moment) removed it first.
      if ((await listNamespaces()).includes(namespace)) throw error;
      continue;
    }
    swept.push(namespace);
  }
  for (const entry of readdirSync(tmpdir()).filter(dead)) {
    rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    swept.push(join(tmpdir(), entry));
  }
  return swept;
}
