/**
 * Transports chosen by negotiation, between real service processes with different transport
 * sets: the manual invite offers every transport its maker has; the answering side takes the
 * first it has too (real WebRTC, or the TCP example), or refuses the link before anyone is asked
 * to approve it, naming both sides' transports.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { ServiceError } from '../../../core/protocol/client';
import { readInvite } from '../../../plugins/manual/offers';
import { spawnService, type SpawnedService } from '../testing/spawn';
import { Tracker, connectManual, invite } from '../testing/flows';

const CONFIG = fileURLToPath(new URL('../testing/fixtures/negotiation.config.ts', import.meta.url));

const running: SpawnedService[] = [];
const trackers: Tracker[] = [];
afterEach(async () => {
  for (const tracker of trackers.splice(0)) tracker.stop();
  await Promise.all(running.splice(0).map((service) => service.stop()));
});

async function peer(name: string, transports: string[]): Promise<Tracker> {
  const service = await spawnService({ name, config: CONFIG, env: { WHATNEXT_TEST_TRANSPORTS: transports.join(',') } });
  running.push(service);
  const tracker = new Tracker(service.client);
  trackers.push(tracker);
  return tracker;
}

const transportOf = async (peer: Tracker, connectionId: string) =>
  (await peer.client.request('connections.list', {})).find((connection) => connection.id === connectionId)?.transport;

it('peers with different transports connect over the first they share: the TCP example, then WebRTC', async () => {
  const alice = await peer('Alice', ['simple-peer', 'example-tcp']);
  const bob = await peer('Bob', ['example-tcp']);
  const carol = await peer('Carol', ['simple-peer']);
  expect((await alice.client.request('signaling.list', {})).find((m) => m.name === 'manual')?.transports).toEqual(['simple-peer', 'example-tcp']);

  const withBob = await connectManual(alice, bob);
  expect(readInvite(withBob.codes!.invite).offers.map((offer) => offer.transport)).toEqual(['simple-peer', 'example-tcp']);
  expect(await transportOf(alice, withBob.inviter)).toBe('example-tcp');
  expect(await transportOf(bob, withBob.answerer)).toBe('example-tcp');

  // Carol takes the first offer, WebRTC: its session's binding passes once the reply chose it.
  const withCarol = await connectManual(alice, carol);
  expect(await transportOf(alice, withCarol.inviter)).toBe('simple-peer');
  expect(await transportOf(carol, withCarol.answerer)).toBe('simple-peer');
});

it('a link with no transport in common is refused before approval, naming both sides’ transports', async () => {
  const carol = await peer('Carol', ['simple-peer']);
  const bob = await peer('Bob', ['example-tcp']);
  const invited = await invite(carol, 'manual');
  // An invite that offers simple-peer alone stays in the short form older peers read.
  expect(invited.invite!.code).toMatch(/^wno2\./);
  const refused = await bob.client.request('links.open', { link: invited.invite!.link }).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(ServiceError);
  expect(refused).toMatchObject({
    code: 'link_invalid',
    message:
      "Carol's invite offers simple-peer; this WhatNext has example-tcp. Install a plugin for one of theirs (Settings → Plugins), or ask Carol for an invite over one of yours.",
  });
  expect(await bob.client.request('attempts.list', {})).toEqual([]);
});
