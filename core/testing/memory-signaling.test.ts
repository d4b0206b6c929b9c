/**
 * Core's signaling suite against its in-memory reference method, and against broken variants
 * of it: each new rule of the suite fails the method that breaks it, naming the rule.
 */
import { describe, expect, it } from 'vitest';
import type { SignalingMethod } from '../contracts/signaling';
import { definePlugin } from '../plugin';
import { memoryTransportPlugin } from './memory-transport';
import { createMemorySignaling, memorySignalingPlugin } from './memory-signaling';
import { checkConcurrentAttempts, checkRefusesGarbageLinks, describeSignalingConformance, type SignalingFixture } from './signaling-conformance';

describeSignalingConformance('memory-signaling (the reference)', {
  method: 'memory-signaling',
  plugins: () => [memoryTransportPlugin(), memorySignalingPlugin()],
});

const broken = (method: SignalingMethod): SignalingFixture => ({
  method: method.name,
  plugins: () => [memoryTransportPlugin(), definePlugin({ name: 'broken', version: '1.0.0', api: '^2.0.0', setup: (ctx) => ctx.registerSignaling(method) })()],
});

describe('the signaling suite fails a method that', () => {
  it('takes a link whatever its mailbox holds', async () => {
    const inner = createMemorySignaling({ name: 'lenient' });
    const lenient: SignalingMethod<{ mailbox: string }> = {
      ...inner,
      parseLink: (params) => ({ method: 'lenient', remote: {}, params: { mailbox: params.m ?? '' } }),
    };
    await expect(checkRefusesGarbageLinks(broken(lenient))).rejects.toThrow(/the link with "" as "m"/);
  });

  it('hands a signal to another attempt than its own (every answer goes to the newest invite)', async () => {
    const inner = createMemorySignaling({ name: 'mixing' });
    let newest = '';
    const mixing: SignalingMethod<{ mailbox: string }> = {
      ...inner,
      invite: (ctx) =>
        inner.invite({
          ...ctx,
          dial: ctx.dial,
          presentInvite: (invite) => {
            newest = invite.params.m!;
            return ctx.presentInvite(invite);
          },
        }),
      parseLink: (params) => ({ ...inner.parseLink(params), params: { mailbox: newest } }),
    };
    await expect(checkConcurrentAttempts(broken(mixing))).rejects.toThrow(/No invite waits at this mailbox/);
  });
});
