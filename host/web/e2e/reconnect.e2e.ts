/**
 * Pair once, stay connected: Alice and Bob pair over copy & paste once; after both restart, the
 * peer comes back online by itself (through the PeerJS broker both are registered on, by id),
 * and an edit made while they were apart reaches the other. Real shells, services, WebRTC and
 * Chromium; the broker is the test's own PeerServer on a loopback port.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../../plugins/peerjs/broker';
import {
  addTrack,
  createPlaylist,
  endEverything,
  FIXTURES,
  go,
  invite,
  launchBrowser,
  onCleanup,
  openApp,
  type OpenedPage,
  pairManually,
  screenshot,
  type Shell,
  startShell,
} from '../testing/harness';
import { tempDir } from '../../service/testing/temp-dirs';

const CONFIG = `${FIXTURES}webrtc.config.ts`;

describe('known peers come back by themselves', () => {
  let broker: Broker;
  let browser: Browser;
  let env: Record<string, string>;
  const dirs = { Alice: tempDir('whatnext-e2e-alice-'), Bob: tempDir('whatnext-e2e-bob-') };
  let alice: Shell;
  let bob: Shell;
  let a: OpenedPage;
  let b: OpenedPage;

  const start = (name: 'Alice' | 'Bob') => startShell({ name, config: CONFIG, env, dataDir: dirs[name] });

  beforeAll(async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1' });
    onCleanup(() => broker.close());
    env = { WHATNEXT_E2E_BROKER_PORT: String(broker.port) };
    [alice, bob, browser] = await Promise.all([start('Alice'), start('Bob'), launchBrowser()]);
    [a, b] = await Promise.all([openApp(browser, alice, 'connect'), openApp(browser, bob, 'connect')]);
  });

  afterAll(async () => {
    await endEverything();
    expect([...(a?.problems ?? []), ...(b?.problems ?? [])], 'errors in the pages').toEqual([]);
  });

  it('pairs over copy & paste once, and after both restart they are back online with what changed while apart', async () => {
    await pairManually(a.page, 'Alice', b.page, 'Bob');

    await go(a.page, 'Playlists');
    await createPlaylist(a.page, 'Road trip');
    await a.page.getByRole('checkbox', { name: /Share with Bob/ }).check();
    await addTrack(a.page, 'Heroes', 'David Bowie', '6:07');
    await go(b.page, 'Playlists');
    await b.page
      .getByRole('navigation', { name: 'Playlists' })
      .getByRole('button', { name: /Road trip/ })
      .click();
    await b.page.getByRole('listitem', { name: 'Heroes by David Bowie' }).waitFor();
    await go(a.page, 'Peers');
    const bobKnown = a.page.getByRole('group', { name: 'Known peer Bob' });
    await bobKnown.getByText('Online', { exact: true }).waitFor();
    await screenshot(a.page, 'known-peer-online');

    // Bob goes away; Alice adds a track while he is gone, and sees him offline.
    await b.page.close();
    expect(await bob.stop()).toBe(0);
    await bobKnown.getByText('Offline', { exact: true }).waitFor();
    expect(await bobKnown.getByRole('button', { name: 'Reconnect' }).count()).toBe(1);
    await screenshot(a.page, 'known-peer-offline');
    await go(a.page, 'Playlists');
    await addTrack(a.page, 'Teardrop', 'Massive Attack', '5:29');

    // Alice restarts too, then Bob comes back: nobody pastes anything.
    await a.page.close();
    expect(await alice.stop()).toBe(0);
    alice = await start('Alice');
    a = await openApp(browser, alice, 'peers');
    await a.page.getByRole('group', { name: 'Known peer Bob' }).getByText('Offline', { exact: true }).waitFor();
    bob = await start('Bob');
    b = await openApp(browser, bob, 'peers');
    await a.page.getByRole('group', { name: 'Known peer Bob' }).getByText('Online', { exact: true }).waitFor();
    await b.page.getByRole('group', { name: 'Known peer Alice' }).getByText('Online', { exact: true }).waitFor();
    await screenshot(b.page, 'known-peer-back');

    await go(b.page, 'Playlists');
    await b.page
      .getByRole('navigation', { name: 'Playlists' })
      .getByRole('button', { name: /Road trip/ })
      .click();
    await b.page.getByRole('listitem', { name: 'Teardrop by Massive Attack' }).waitFor();
  });

  it('says which invites a restart ended, instead of "nothing in progress"', async () => {
    await invite(a.page, 'manual');
    const waiting = a.page.locator('[data-attempt]').first();
    await waiting.getByText('Waiting for the reply code').waitFor();
    await a.page.close();
    expect(await alice.stop()).toBe(0);
    alice = await start('Alice');
    a = await openApp(browser, alice, 'connect');
    const lost = a.page.locator('[data-attempt]').filter({ hasText: 'This invite ended when WhatNext restarted' });
    await lost.getByText('A reply to it can no longer connect: make a new invite and send it again.').waitFor();
    await screenshot(a.page, 'connect-invite-lost');
    await lost.getByRole('button', { name: 'Dismiss' }).click();
    await lost.waitFor({ state: 'detached' });
  });
});
