/**
 * The manual plugin's options as settings change them: the invite lifetime applies to the next
 * invite without a restart (the code's expiry and how long the inviter waits for the reply), and
 * the plugin says which of its options need a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin, PluginHost, ConnectionManager, type SignalingMethod, type AttemptSummary } from '@whatnext/core';
import { memoryTransport } from '@whatnext/core/testing';
import { readInvite } from './offers';
import { manual } from './index';

const LOCAL = { id: '0123456789abcdefghjkmnpqrs', name: 'Alice' };

const memory = definePlugin({ name: 'memory', version: '1.0.0', api: '^2.0.0', setup: (ctx) => ctx.registerTransport(memoryTransport) });

const started: { host: PluginHost; manager: ConnectionManager }[] = [];
afterEach(async () => {
  for (const { host, manager } of started.splice(0)) {
    await manager.stop();
    await host.stop();
  }
});

async function start(plugins: ConstructorParameters<typeof PluginHost>[0]['plugins']) {
  const host = new PluginHost({ plugins, local: LOCAL });
  await host.start();
  const manager = new ConnectionManager(host);
  await manager.start();
  started.push({ host, manager });
  return { host, manager };
}

function next(manager: ConnectionManager, predicate: (a: AttemptSummary) => boolean): Promise<AttemptSummary> {
  return new Promise((resolve) => {
    const off = manager.on('attempt', (a) => {
      if (predicate(a)) {
        off();
        resolve(a);
      }
    });
  });
}

/** Invite, and return the expiry (epoch seconds) written into the invite code. */
async function inviteExpiry(manager: ConnectionManager): Promise<number> {
  const presented = next(manager, (a) => a.invite?.code !== undefined);
  manager.invite('manual');
  const { invite } = await presented;
  return readInvite(invite!.code!).x;
}

describe('manual options from settings', () => {
  it('a new invite lifetime applies to the next invite, without a restart', async () => {
    const { host, manager } = await start([memory(), manual({ transports: ['memory'] })]);
    const before = Date.now() / 1000;
    expect((await inviteExpiry(manager)) - before).toBeGreaterThan(9 * 60);

    host.configure('manual', { inviteTtlMinutes: 1 });
    const now = Date.now() / 1000;
    const lifetime = (await inviteExpiry(manager)) - now;
    expect(lifetime).toBeGreaterThan(50);
    expect(lifetime).toBeLessThanOrEqual(60);
  });

  it('says which options apply live and which after a restart, and which are advanced', async () => {
    const { host } = await start([memory(), manual({ transports: ['memory'] })]);
    const status = host.plugins().find((p) => p.name === 'manual')!;
    expect(status.liveOptions).toEqual(['inviteTtlMinutes', 'shortCodes', 'transports', 'transport']);
    expect(status.advancedOptions).toEqual(['transports', 'transport', 'shortCodes']);
  });
});

describe('an invite that bounds its own lifetime', () => {
  it('ends when the method says the invite expires, not after core’s 10 minutes', async () => {
    const method: SignalingMethod = {
      name: 'manual',
      description: 'an invite that expires at once',
      transports: [],
      parseLink: () => {
        throw new Error('no links');
      },
      invite: async (ctx) => {
        ctx.presentInvite({ params: {}, expiresAt: Date.now() + 50 });
        await ctx.ask({ title: 'Paste the reply', label: 'Reply' });
        throw new Error('no reply is ever pasted in this test');
      },
      answer: () => Promise.reject(new Error('no links')),
    };
    const short = definePlugin({ name: 'short', version: '1.0.0', api: '^2.0.0', setup: (ctx) => ctx.registerSignaling(method) });
    const { manager } = await start([short()]);
    const failed = next(manager, (a) => a.state === 'failed');
    manager.invite('manual');
    expect((await failed).error).toMatchObject({ code: 'invite_expired' });
  });
});
