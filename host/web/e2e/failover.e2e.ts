/**
 * Failover as the user sees it: each signaling method's server on the Connect page and in
 * settings (connected, unreachable and retrying since when, with the error); a known peer
 * reconnected while the PeerJS broker is down goes over the MQTT broker, and its connection says
 * so; the order reconnections try is changed in settings; with both brokers down the Connect
 * page says so. Real shells, services, WebRTC, a real PeerServer and a real Mosquitto on loopback,
 * Chromium.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../../plugins/peerjs/broker';
import { startMosquitto, type Mosquitto } from '../../../plugins/mqtt/testing/mosquitto';
import { endEverything, FIXTURES, go, invite, launchBrowser, onCleanup, openApp, type OpenedPage, openLink, screenshot, startShell } from '../testing/harness';

const CONFIG = `${FIXTURES}failover.config.ts`;

describe('failover between brokers, in the UI', () => {
  let broker: Broker;
  let mosquitto: Mosquitto;
  let browser: Browser;
  let a: OpenedPage;
  let b: OpenedPage;

  beforeAll(async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1' });
    onCleanup(() => broker.close());
    mosquitto = await startMosquitto();
    onCleanup(() => mosquitto.stop());
    const env = { WHATNEXT_E2E_BROKER_PORT: String(broker.port), WHATNEXT_E2E_MQTT_URL: mosquitto.url };
    const [alice, bob, launched] = await Promise.all([
      startShell({ name: 'Alice', config: CONFIG, env }),
      startShell({ name: 'Bob', config: CONFIG, env }),
      launchBrowser(),
    ]);
    browser = launched;
    [a, b] = await Promise.all([openApp(browser, alice, 'connect'), openApp(browser, bob, 'connect')]);
  });

  afterAll(async () => {
    await endEverything();
    expect([...(a?.problems ?? []), ...(b?.problems ?? [])], 'errors in the pages').toEqual([]);
  });

  it('shows each server, reconnects over MQTT while the PeerJS broker is down and says so, and says when both are down', async () => {
    const server = (page: OpenedPage, label: string) => page.page.getByRole('group', { name: `Server of ${label}` });
    await go(a.page, 'Connect');
    await server(a, 'PeerJS broker').getByText('Connected', { exact: true }).waitFor();
    await server(a, 'MQTT broker').getByText('Connected', { exact: true }).waitFor();
    await server(a, 'Copy & paste').getByText('No server needed', { exact: true }).waitFor();
    await server(a, 'PeerJS broker').getByText('reconnections try it 1st').waitFor();
    await server(a, 'MQTT broker').getByText('reconnections try it 2nd').waitFor();

    // Paired once, over the PeerJS broker.
    await openLink(b.page, await invite(a.page, 'peerjs'));
    await b.page.getByRole('region', { name: 'Request from Alice' }).getByRole('button', { name: 'Accept' }).click();
    await go(a.page, 'Peers');
    const bob = a.page.getByRole('list', { name: 'Connected peers' }).getByRole('group', { name: 'Connection with Bob' });
    await bob.getByTestId('method').filter({ hasText: 'via PeerJS broker' }).waitFor();

    // The PeerJS broker goes away: the Connect page says so, MQTT still up.
    await broker.close();
    await go(a.page, 'Connect');
    await server(a, 'PeerJS broker').getByText('Unreachable', { exact: true }).waitFor();
    await server(a, 'PeerJS broker')
      .getByRole('status')
      .filter({ hasText: /Retrying since .*PeerJS broker/ })
      .waitFor();
    await server(a, 'MQTT broker').getByText('Connected', { exact: true }).waitFor();
    await screenshot(a.page, 'connect-peerjs-down', { fullPage: true });

    // Disconnect, then Reconnect: the known peer comes back over the MQTT broker.
    await go(a.page, 'Peers');
    await bob.getByRole('button', { name: 'Disconnect' }).click();
    // Once the connection is gone (a Reconnect while it still closes finds Bob connected).
    await bob.waitFor({ state: 'detached' });
    const knownBob = a.page.getByRole('group', { name: 'Known peer Bob' });
    await knownBob.getByRole('button', { name: 'Reconnect' }).click();
    await bob
      .getByTestId('method')
      .filter({ hasText: 'via MQTT broker' })
      .waitFor()
      .catch(async (error: unknown) => {
        // Seen once under load, not reproduced alone: what the page said, for the next look.
        await screenshot(a.page, 'failover-reconnect-not-seen');
        throw new Error(`${(error as Error).message}\nKnown peer Bob said: ${await knownBob.textContent()}`, { cause: error });
      });
    await bob.getByText('Connected', { exact: true }).waitFor();
    await screenshot(a.page, 'peers-reconnected-over-mqtt');

    // Settings: each method's server and its place in the order, which the user changes.
    await go(a.page, 'Settings');
    const method = (label: string) => a.page.getByRole('group', { name: `Method ${label}` });
    await method('PeerJS broker').getByText('Unreachable', { exact: true }).waitFor();
    await method('MQTT broker').getByText('reconnections try it 2nd').waitFor();
    await method('MQTT broker').getByRole('button', { name: 'Try first' }).click();
    await method('MQTT broker').getByText('reconnections try it 1st').waitFor();
    await method('PeerJS broker').getByText('reconnections try it 2nd').waitFor();
    await screenshot(a.page, 'settings-failover', { fullPage: true });

    // Both brokers down: the Connect page says no broker is reachable, and which.
    await mosquitto.kill();
    await go(a.page, 'Connect');
    await server(a, 'MQTT broker').getByText('Unreachable', { exact: true }).waitFor();
    await a.page.getByTestId('all-brokers-down').filter({ hasText: 'No broker is reachable (MQTT broker, PeerJS broker)' }).waitFor();
    await screenshot(a.page, 'connect-all-brokers-down', { fullPage: true });
  });
});
