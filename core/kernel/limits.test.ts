/**
 * The bounds the ConnectionManager keeps on work strangers can make it do: invites held open at
 * once, and requests waiting for the user at once, whoever they claim to be.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SignalingMethod, SignalingServices } from '../contracts/signaling';
import { WhatNextError } from '../errors';
import { definePlugin } from '../plugin';
import type { AttemptSummary } from '../protocol/shapes';
import { rateLimit } from '../policies/rate-limit';
import { ConnectionManager } from './connections';
import { PluginHost } from './host';

const LOCAL = { id: '0123456789abcdefghjkmnpqrs', name: 'Local' };

/** A broker-like method whose incoming requests the test raises, and whose invites wait for
 * ever (until cancelled). */
function lobby() {
  let services: SignalingServices | undefined;
  const refusals: string[] = [];
  const method: SignalingMethod = {
    name: 'lobby',
    description: 'test method',
    transports: [],
    parseLink: () => {
      throw new Error('no links');
    },
    invite: (ctx) =>
      new Promise((_, reject) => {
        ctx.presentInvite({ params: {} });
        ctx.abort.addEventListener('abort', () => reject(ctx.abort.reason));
      }),
    answer: () => Promise.reject(new Error('no links')),
    listen: (s) => void (services = s),
  };
  return {
    plugin: definePlugin({ name: 'lobby', version: '1.0.0', api: '^2.0.0', setup: (ctx) => ctx.registerSignaling(method) })(),
    refusals,
    /** A stranger asks to connect, claiming `id`. */
    knock(id: string) {
      services!.incoming({
        method: 'lobby',
        remote: { id, name: 'Stranger' },
        accept: () => Promise.reject(new Error('not in this test')),
        reject: (reason) => refusals.push(reason),
      });
    },
  };
}

const started: { host: PluginHost; manager: ConnectionManager }[] = [];
afterEach(async () => {
  for (const { host, manager } of started.splice(0)) {
    await manager.stop();
    await host.stop();
  }
});

async function start(options: ConstructorParameters<typeof ConnectionManager>[1] = {}) {
  const room = lobby();
  // The rate limit is per claimed id: rotating ids is exactly what it cannot see.
  const host = new PluginHost({ plugins: [rateLimit(), room.plugin], local: LOCAL });
  await host.start();
  const manager = new ConnectionManager(host, options);
  await manager.start();
  started.push({ host, manager });
  const attempts: AttemptSummary[] = [];
  manager.on('attempt', (a) => attempts.push(a));
  return { host, room, manager, attempts };
}

const strangerId = (n: number) => `${'s'.repeat(22)}${String(n).padStart(4, '0')}`;

describe('connection limits', () => {
  it('holds at most maxPendingInvites open, refusing the next with a typed error until one ends', async () => {
    const { manager } = await start({ maxPendingInvites: 3 });
    const invites = [manager.invite('lobby'), manager.invite('lobby'), manager.invite('lobby')];
    const error = (() => {
      try {
        manager.invite('lobby');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(WhatNextError);
    expect(error).toMatchObject({ code: 'too_many_invites', message: expect.stringContaining('3 invites are already waiting') });
    manager.cancel(invites[0]!.id);
    expect(manager.invite('lobby').state).toBe('connecting');
  });

  it('asks the user about at most maxPendingApprovals requests at once, whatever ids they claim', async () => {
    const { room, manager, attempts } = await start({ maxPendingApprovals: 2 });
    for (let n = 0; n < 6; n++) room.knock(strangerId(n));
    const settled = (n: number) => attempts.filter((a) => a.state === 'rejected').length >= n;
    await new Promise<void>((resolve) => {
      if (settled(4)) return resolve();
      const off = manager.on('attempt', () => settled(4) && (off(), resolve()));
    });
    const waiting = manager.attempts().filter((a) => a.state === 'awaiting-approval');
    expect(waiting).toHaveLength(2);
    expect(room.refusals).toHaveLength(4);
    expect(room.refusals[0]).toBe('too many requests are waiting for an answer (at most 2); try again later');
    expect(attempts.find((a) => a.state === 'rejected')).toMatchObject({ decidedBy: 'host' });

    // Once the user answers one, the next stranger is asked about again.
    manager.reject(waiting[0]!.id);
    room.knock(strangerId(99));
    await new Promise<void>((resolve) => {
      const asked = () => manager.attempts().some((a) => a.remote.id === strangerId(99) && a.state === 'awaiting-approval' && a.approvalDeadline);
      if (asked()) return resolve();
      const off = manager.on('attempt', () => asked() && (off(), resolve()));
    });
    expect(room.refusals).toHaveLength(4);
  });

  it('applies a new rate limit from settings to the next request, without a restart', async () => {
    const { host, room, manager } = await start();
    expect(host.plugins().find((p) => p.name === 'rate-limit')?.liveOptions).toEqual(['perMinute']);
    host.configure('rate-limit', { perMinute: 1 });
    room.knock(strangerId(1));
    room.knock(strangerId(1));
    await new Promise<void>((resolve) => {
      if (room.refusals.length) return resolve();
      const off = manager.on('attempt', () => room.refusals.length && (off(), resolve()));
    });
    expect(room.refusals).toEqual(['too many requests: at most 1 per minute are accepted from one peer']);
  });
});
