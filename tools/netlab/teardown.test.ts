/**
 * The lab removes everything it made: after close(), after a test that threw half-way, and
 * (the sweeper) after a process that died without closing its lab.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startCoturn } from './coturn';
import { run } from './exec';
import { createLab, withLab, type Lab } from './lab';
import { listNamespaces, sweepLeftovers } from './names';
import { startAgent } from './probe';
import { ROUTER_KINDS, RULE_TAG } from './routers';
import { describeLab } from './support';
import { pollUntil } from './wait';

interface Made {
  id: string;
  dir: string;
  namespaces: string[];
  pids: number[];
}

/** Builds a bit of everything: a host of each kind, coturn, an agent, and a process the lab
 * did not start itself (a command's background child). Returns what exists now. */
async function populate(lab: Lab): Promise<Made> {
  const hosts = await Promise.all(ROUTER_KINDS.map((kind, i) => lab.host(`h${i}`, kind)));
  await startCoturn(lab, { auth: { mode: 'long-term', username: 'u', password: 'p' } });
  await startAgent(hosts[1]!, 'agent');
  await hosts[2]!.exec('sh', ['-c', 'setsid tail -f /dev/null >/dev/null 2>&1 &']);
  const namespaces = lab.namespaces().slice();
  expect((await listNamespaces()).filter((ns) => ns.startsWith(`${lab.id}-`)).sort()).toEqual([...namespaces].sort());
  expect(await hosts[1]!.router!.exec('iptables-save', [])).toContain(RULE_TAG);
  const pids: number[] = [];
  for (const ns of namespaces) pids.push(...(await run('ip', ['netns', 'pids', ns])).split('\n').filter(Boolean).map(Number));
  // coturn, the agent (with its esbuild service) and tail, at least.
  expect(pids.length).toBeGreaterThanOrEqual(3);
  return { id: lab.id, dir: lab.dir, namespaces, pids };
}

/** Whether `pid` is a running process. A zombie is not: it holds no namespace or socket, and
 * one the lab killed may wait a moment for init to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

/** Processes whose command line mentions `text` (coturn's names the lab folder). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function expectNothingLeft(made: Made): Promise<void> {
  expect((await listNamespaces()).filter((ns) => ns.startsWith(made.id))).toEqual([]);
  // Nothing ever lands in the root namespace; checked all the same.
  expect((await run('ip', ['-o', 'link', 'show'])).split('\n').filter((line) => line.includes(made.id))).toEqual([]);
  expect(await run('iptables-save', [])).not.toContain(RULE_TAG);
  expect(made.pids.filter(alive)).toEqual([]);
  expect(processesMentioning(made.dir)).toEqual([]);
  expect(existsSync(made.dir)).toBe(false);
}

describeLab('netlab teardown', () => {
  it('close() removes every namespace, interface, rule, process and file; a second close() does nothing', async () => {
    const lab = await createLab();
    let made: Made | undefined;
    try {
      made = await populate(lab);
    } finally {
      await lab.close();
    }
    await expectNothingLeft(made);
    await lab.close();
    await expect(lab.host('late', 'cone')).rejects.toThrow(/closed/);
  });

  it('a test that throws half-way leaves nothing behind either', async () => {
    let made: Made | undefined;
    await expect(
      withLab(async (lab) => {
        made = await populate(lab);
        throw new Error('failed half-way');
      }),
    ).rejects.toThrow('failed half-way');
    await expectNothingLeft(made!);
  });

  it('the next lab sweeps a lab whose process died without closing it', async () => {
    const dead = spawnSync('true').pid;
    expect(alive(dead)).toBe(false);
    const namespace = `wn${dead}x0-pub`;
    const dir = join(tmpdir(), `wn${dead}x0-leftover`);
    await run('ip', ['netns', 'add', namespace]);
    mkdirSync(dir);
    const inside = spawn('ip', ['netns', 'exec', namespace, 'tail', '-f', '/dev/null'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => inside.once('exit', resolve));
    try {
      await pollUntil('tail to enter the leftover namespace', async () => ((await run('ip', ['netns', 'pids', namespace])).trim() ? true : undefined));
      // Another test file's new lab may sweep it at the same moment (here: two sweeps at once):
      // neither fails, and what counts is that it is gone.
      await Promise.all([sweepLeftovers(), sweepLeftovers()]);
      await exited;
      expect(await listNamespaces()).not.toContain(namespace);
      expect(existsSync(dir)).toBe(false);
    } finally {
      inside.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      if ((await listNamespaces()).includes(namespace)) await run('ip', ['netns', 'delete', namespace]);
    }
  });
});
