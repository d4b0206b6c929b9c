/**
 * A link handed to main (cold-start argv, second-instance argv, macOS open-url) reaches a real
 * service process and raises the same event as the same link sent the way the CLI sends it
 * (`links.open` on a service's client): an attempt awaiting approval, or a rejection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnService, type SpawnedService } from '../service/testing/spawn';
import type { AttemptSummary } from '../../core/protocol/shapes';
import type { EventData } from '../../core/protocol';
import { MANUAL_MEMORY_CONFIG, startHarness, type Harness } from './testing/harness';

const harnesses: Harness[] = [];
const services: SpawnedService[] = [];
afterEach(async () => {
  await Promise.all([...harnesses.splice(0).map((h) => h.dispose()), ...services.splice(0).map((s) => s.stop())]);
});

async function service(name: string): Promise<SpawnedService> {
  const spawned = await spawnService({ name, config: MANUAL_MEMORY_CONFIG });
  services.push(spawned);
  return spawned;
}

/** What the user is asked about, without what differs per process (id, clock). */
const request = ({ id: _id, approvalDeadline: _deadline, ...rest }: AttemptSummary) => rest;

async function inviteFrom(inviter: SpawnedService): Promise<string> {
  const presented = inviter.client.waitFor('attempt.updated', (a) => !!a.invite?.link);
  await inviter.client.request('attempts.invite', { method: 'manual' });
  return (await presented).invite!.link;
}

describe('links through main', () => {
  it('a cold-start link waits for the service, then raises the same approval request as the CLI path', async () => {
    const alice = await service('Alice');
    const link = await inviteFrom(alice);
    expect(link).toMatch(/^whtnxt:\/\/connect\?v=1&via=manual&n=Alice/);

    // The CLI path: links.open on a service client.
    const carol = await service('Carol');
    const viaCli = carol.client.waitFor('attempt.updated', (a) => a.state === 'awaiting-approval');
    await carol.client.request('links.open', { link });

    // The Electron path: argv with Chromium's switches, before the service even started.
    const h = await startHarness();
    harnesses.push(h);
    const viaMain = new Promise<AttemptSummary>((resolve) => h.api.on('attempt.updated', (a) => a.state === 'awaiting-approval' && resolve(a)));
    expect(h.shell.handleArgv(['/opt/WhatNext/whatnext', '--allow-file-access-from-files', link, '--original-process-start-time=13350000000000000'])).toEqual([
      link,
    ]);
    expect(h.shell.links.size).toBe(1);
    h.shell.start();

    const fromMain = await viaMain;
    expect(fromMain).toMatchObject({ role: 'answerer', state: 'awaiting-approval', method: 'manual', remote: { name: 'Alice' } });
    expect(request(fromMain)).toEqual(request(await viaCli));
    // Nothing connects before the user says yes.
    expect(await h.api.request('connections.list', {})).toEqual([]);
  });

  it('a bad link from a second instance or open-url comes back as the same link.rejected as the CLI path', async () => {
    const bad = 'whtnxt://connect?v=1&via=carrier-pigeon';
    const carol = await service('Carol');
    const viaCli = carol.client.waitFor('link.rejected');
    await carol.client.request('links.open', { link: bad }).catch(() => undefined);

    const h = await startHarness();
    harnesses.push(h);
    h.shell.start();
    await h.status('running');
    const rejections: EventData<'link.rejected'>[] = [];
    const two = new Promise<void>((resolve) =>
      h.api.on('link.rejected', (event) => {
        rejections.push(event);
        if (rejections.length === 2) resolve();
      }),
    );
    h.shell.handleArgv(['C:\\WhatNext\\WhatNext.exe', '--original-process-start-time=1', bad]); // second-instance
    expect(h.shell.handleOpenUrl('whtnxt:connect?v=1')).toBe(true); // macOS open-url, no method
    expect(h.shell.handleOpenUrl('https://example.com')).toBe(false);
    await two;

    expect(rejections[0]).toEqual(await viaCli);
    expect(rejections[0]!.error).toMatchObject({ code: 'link_invalid', reason: 'unknown-method' });
    expect(rejections[1]!.error.reason).toBe('missing-method');
    expect(await h.api.request('attempts.list', {})).toEqual([]);
  });
});
