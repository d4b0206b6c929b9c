/**
 * Two hosts connect over the TCP example with manual signaling, as the service does with the
 * e2e's config: the manual codes carry each side's nonce and hello ahead (core's
 * `ctx.handshake`), and core's secure session runs on the socket; identities are real keys.
 */
import { afterEach, expect, it } from 'vitest';
import { ConnectionManager, PluginHost, generateIdentity, type AttemptSummary } from '@whatnext/core';
import { manual } from './index';
import { exampleTcp } from '../example-tcp/index';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function peer(name: string) {
  const { id, identity } = await generateIdentity();
  const host = new PluginHost({ plugins: [exampleTcp(), manual({ transports: ['example-tcp'] })], local: { id, name } });
  await host.start();
  const manager = new ConnectionManager(host, { connection: { identity } });
  await manager.start();
  stops.push(async () => {
    await manager.stop();
    await host.stop();
  });
  const next = (predicate: (a: AttemptSummary) => boolean) =>
    new Promise<AttemptSummary>((resolve) => {
      const off = manager.on('attempt', (a) => {
        if (!predicate(a)) return;
        off();
        resolve(a);
      });
    });
  return { id, manager, next };
}

it('invite → link → approve → reply code → open over TCP, encrypted, proven and talking', async () => {
  const alice = await peer('Alice');
  const bob = await peer('Bob');
  const presenting = alice.next((a) => !!a.invite && !!a.question);
  const invite = alice.manager.invite('manual');
  const presented = await presenting;
  const replying = bob.next((a) => a.displays.length > 0);
  const request = await bob.manager.openLink(presented.invite!.link);
  bob.manager.approve(request.id);
  const reply = await replying;
  const opening = Promise.all([alice.next((a) => a.id === invite.id && a.state === 'open'), bob.next((a) => a.id === request.id && a.state === 'open')]);
  alice.manager.answer(invite.id, presented.question!.id, reply.displays[0]!.code!);
  const [aOpen, bOpen] = await opening;
  expect(aOpen.remote?.id).toBe(bob.id);
  expect(bOpen.remote?.id).toBe(alice.id);

  const a = alice.manager.connection(aOpen.connectionId!);
  const b = bob.manager.connection(bOpen.connectionId!);
  const got = new Promise((resolve) => b.channel('tracks').onMessage(resolve));
  await a.channel('tracks').send({ title: 'Heroes' });
  expect(await got).toEqual({ title: 'Heroes' });
  await a.close('bye');
  expect(await b.closed).toMatchObject({ by: 'remote', message: 'bye' });
});
