/**
 * Supervision against the real service process: start, renderer ports, SIGKILL, restart with
 * backoff, port re-issue, queued links after a restart, giving up, clean stop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './testing/harness';

const harnesses: Harness[] = [];
const harness = async (...args: Parameters<typeof startHarness>) => {
  const h = await startHarness(...args);
  harnesses.push(h);
  return h;
};
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
});

const exitOf = (h: Harness, index: number) =>
  new Promise<number | null>((resolve) => {
    const child = h.processes[index]!.child;
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });

describe('service supervisor (real service process)', () => {
  it('starts the service, hands the renderer a port, pipes its logs, and stops it cleanly', async () => {
    const h = await harness();
    h.shell.start();
    const running = await h.status('running');
    expect(running).toEqual({ state: 'running', pid: h.processes[0]!.pid, restarts: 0 });

    // The renderer's port reaches the service; main has its own client too.
    const status = await h.api.request('service.status', {});
    expect(status).toMatchObject({ state: 'running', pid: h.processes[0]!.pid, dataDir: h.dataDir });
    const plugins = await h.shell.supervisor.client!.request('plugins.list', {});
    expect(plugins.map((p) => p.name)).toContain('manual');
    expect(h.ports).toHaveLength(1);
    expect(h.logs.some((line) => line.includes('[service] [service info] ready:'))).toBe(true);

    const exit = exitOf(h, 0);
    await h.shell.stop();
    expect(await exit).toBe(0);
    expect(h.statuses.map((s) => s.state)).toEqual(['starting', 'running', 'stopping', 'stopped']);
    expect(h.processes).toHaveLength(1);
  });

  it('restarts a SIGKILLed service with backoff, re-issues the renderer port, and lets queued links through', async () => {
    const h = await harness({ policy: { initialDelayMs: 20, factor: 4, maxDelayMs: 1000, maxCrashes: 5, windowMs: 60_000 } });
    const states: string[] = [];
    h.api.on('host.state', (state) => states.push(state));
    h.shell.start();
    const first = await h.status('running');

    const restarting = h.status('restarting');
    process.kill(first.pid!, 'SIGKILL');
    expect(await restarting).toEqual({ state: 'restarting', exitCode: 137, delayMs: 20, recentCrashes: 1 });

    // While it is down: a link arrives and the page asks for something. Both wait.
    const bad = 'whtnxt://connect?v=2&via=manual';
    const rejected = new Promise((resolve) => h.api.on('link.rejected', resolve));
    expect(h.shell.handleArgv(['/opt/WhatNext/whatnext', '--allow-file-access-from-files', bad])).toEqual([bad]);
    expect(h.shell.links.size).toBe(1);
    const waiting = h.api.request('service.status', {});

    const second = await h.status('running', (s) => s.restarts === 1);
    expect(second.pid).not.toBe(first.pid);
    expect((await waiting).pid).toBe(second.pid);
    expect(h.ports).toHaveLength(2); // a fresh port for the new service
    expect(await rejected).toMatchObject({ link: bad, error: { code: 'link_invalid', reason: 'unsupported-version' } });
    await h.shell.links.idle();
    expect(h.shell.links.size).toBe(0);
    expect(states).toContain('starting');

    // A second crash inside the window waits longer.
    const again = h.status('restarting');
    process.kill(second.pid!, 'SIGKILL');
    expect(await again).toMatchObject({ delayMs: 80, recentCrashes: 2 });
    const third = await h.status('running', (s) => s.restarts === 2);
    expect((await h.api.request('service.status', {})).pid).toBe(third.pid);
    expect(h.ports).toHaveLength(3);
  });

  it('gives up after repeated crashes within the window and reports it instead of looping', async () => {
    const h = await harness({ policy: { initialDelayMs: 20, maxCrashes: 2, windowMs: 60_000 } });
    const states: string[] = [];
    h.api.on('host.state', (state) => states.push(state));
    h.shell.start();
    const first = await h.status('running');
    process.kill(first.pid!, 'SIGKILL');
    const second = await h.status('running', (s) => s.restarts === 1);
    const failed = h.status('failed');
    process.kill(second.pid!, 'SIGKILL');
    const failure = await failed;
    expect(failure.recentCrashes).toBe(2);
    expect(failure.message).toMatch(/stopped 2 times within 60 s/);

    expect(h.processes).toHaveLength(2);
    await expect(h.api.request('service.status', {})).rejects.toMatchObject({ code: 'service_failed' });
    expect(states.at(-1)).toBe('stopped');
    // A page that loads (or reloads) after the give-up is told, and gets no port.
    const statuses = h.statuses.length;
    h.shell.rendererConnected();
    expect(h.statuses.slice(statuses)).toEqual([failure]);
    expect(h.ports).toHaveLength(2);
    // Links still wait (nothing can take them), and stopping has no process left to end.
    h.shell.handleArgv(['exe', 'whtnxt://connect?v=1&via=manual']);
    expect(h.shell.links.size).toBe(1);
    await h.shell.stop();
    expect(h.shell.supervisor.status).toEqual({ state: 'stopped' });
    expect(h.processes).toHaveLength(2);
  });
});
