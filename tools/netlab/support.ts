/**
 * Whether the lab can run here, and how its tests say so. It needs Linux, root, working
 * network namespaces (with veth, bridge and iptables' nat table inside one), and the programs
 * it runs. Outside CI a test file that cannot run skips with one line saying why; under
 * CI=true the same file fails with that reason instead, so the matrix can never silently
 * vanish from CI.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';
import { LabError } from './exec';
import { LAB_PREFIX } from './names';

export const REQUIRED_PROGRAMS = ['ip', 'iptables', 'iptables-restore', 'iptables-save', 'sysctl', 'turnserver', 'openssl'] as const;

export type LabSupport = { ok: true } | { ok: false; reason: string };

let cached: LabSupport | undefined;

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function check(): LabSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'building network namespaces needs root (run the tests as root, as CI does)' };
  const missing = REQUIRED_PROGRAMS.filter((program) => !onPath(program));
  if (missing.length > 0) return { ok: false, reason: `missing ${missing.join(', ')} (apt-get install iproute2 iptables procps coturn openssl)` };
  // A throwaway namespace proves the kernel side: the name matches the sweeper's pattern, so
  // even a crash right here leaves nothing behind for long.
  const probe = `${LAB_PREFIX}${process.pid}xzzzz-support`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    try {
      const inside = (command: string, ...args: string[]) => execFileSync('ip', ['netns', 'exec', probe, command, ...args], { stdio: 'pipe', timeout: 10_000 });
      inside('ip', 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1');
      inside('ip', 'link', 'add', 'probe2', 'type', 'bridge');
      inside('iptables', '-t', 'nat', '-A', 'POSTROUTING', '-j', 'MASQUERADE', '--random-fully');
    } finally {
      execFileSync('ip', ['netns', 'delete', probe], { stdio: 'pipe' });
    }
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    return { ok: false, reason: `network namespaces do not work here: ${stderr || (error as Error).message}` };
  }
  return { ok: true };
}

/** Whether the lab can run here (checked once per process). */
export function labSupport(): LabSupport {
  cached ??= check();
  return cached;
}

/** The lab cannot run where it must (CI). */
export class LabUnavailableError extends LabError {
  override name = 'LabUnavailableError';
}

/**
 * `describe` for lab tests: runs `body` where the lab can run; elsewhere skips, printing why;
 * under CI=true fails with the reason instead of skipping.
 */
export function describeLab(name: string, body: () => void): void {
  const support = labSupport();
  if (!support.ok && process.env.CI === 'true') {
    return void describe(name, () => {
      it('can build the network lab (CI must run these tests)', () => {
        throw new LabUnavailableError(`netlab: cannot run under CI: ${support.reason}`);
      });
    });
  }
  if (!support.ok) console.log(`[netlab] skipped "${name}": ${support.reason}`);
  describe.skipIf(!support.ok)(name, body);
}
