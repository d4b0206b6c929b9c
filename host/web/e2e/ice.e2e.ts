/**
 * The ICE servers in settings, and the path a connection takes, in the renderer: the list edited
 * as entries (not JSON), the webrtc plugin's own validation shown at the input it names, a saved
 * list used by the next connection (its STUN and TURN servers, here silent ports on loopback,
 * hear from it) with no restart; and the Direct badge on a real loopback connection, as the
 * service reports its path.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusingTurn, silentUdp, STUN_BINDING, TURN_ALLOCATE, type LoopbackServer } from '../../../plugins/webrtc/testing/ice-servers';
import { endEverything, go, invite, onCleanup, type OpenedPage, pairManually, screenshot, SCREENSHOTS, startWebRtcPair } from '../testing/harness';

interface Summary {
  state: string;
  remote: { name: string };
  stats: { path?: { kind: string; relayProtocol?: string; local?: string; remote?: string } };
}

const request = <T>(page: Page, method: string) => page.evaluate(async (name) => (await window.whatnext!.request(name, {})) as unknown, method) as Promise<T>;
const webrtcOptions = async (page: Page) =>
  (await request<{ name: string; options?: { iceServers?: unknown } }[]>(page, 'plugins.list')).find((plugin) => plugin.name === 'webrtc')?.options;

describe('ICE servers in settings, and the path of a connection', () => {
  let a: OpenedPage;
  let b: OpenedPage;
  let stun: LoopbackServer;
  let turn: LoopbackServer;

  beforeAll(async () => {
    [stun, turn] = await Promise.all([silentUdp(), refusingTurn()]);
    onCleanup(() => stun.close());
    onCleanup(() => turn.close());
    ({ a, b } = await startWebRtcPair());
  });

  afterAll(async () => {
    // Ends every browser, shell, broker and socket this file started, even after a failure.
    await endEverything();
    expect([...(a?.problems ?? []), ...(b?.problems ?? [])], 'errors in the pages').toEqual([]);
  });

  it('edits the ICE servers as a list, shows the schema’s error at the field, and the next connection uses what was saved', async () => {
    await go(a.page, 'Settings');
    const card = a.page.getByRole('region', { name: 'Plugin webrtc' });
    const list = card.getByRole('group', { name: 'ICE servers' });
    await list.getByText('None.').waitFor();
    expect(await card.locator('textarea').count()).toBe(0); // not raw JSON

    await list.getByRole('button', { name: 'Add server' }).click();
    const first = list.getByRole('group', { name: 'Server 1' });
    await first.getByLabel('URL(s)').fill(`stun:127.0.0.1:${stun.port}`);
    await list.getByRole('button', { name: 'Add server' }).click();
    const second = list.getByRole('group', { name: 'Server 2' });
    await second.getByLabel('URL(s)').fill(`turn:127.0.0.1:${turn.port}`);
    await card.getByRole('button', { name: 'Save options' }).click();

    // The webrtc plugin's own messages, beside the inputs they name; nothing applied.
    const username = second.getByLabel('Username');
    const credential = second.getByLabel('Credential');
    await second.getByText('A TURN server needs a username.').waitFor();
    await second.getByText('A TURN server needs a credential.').waitFor();
    expect(await username.getAttribute('aria-invalid')).toBe('true');
    expect(await credential.getAttribute('aria-invalid')).toBe('true');
    expect(await credential.getAttribute('type')).toBe('password');
    expect(await first.getByLabel('URL(s)').getAttribute('aria-invalid')).toBeNull();
    await screenshot(a.page, 'settings-ice-servers-error');
    await card.screenshot({ path: join(SCREENSHOTS, 'settings-ice-servers-error-card.png') });
    expect(await webrtcOptions(a.page)).toEqual({ iceServers: [], engine: 'wrtc' });

    await username.fill('whatnext');
    await credential.fill('secret');
    await second.getByText('A TURN server needs a username.').waitFor({ state: 'detached' });
    await card.getByRole('button', { name: 'Save options' }).click();
    await card.getByRole('status').getByText('Saved.').waitFor();
    await screenshot(a.page, 'settings-ice-servers-saved');
    await card.screenshot({ path: join(SCREENSHOTS, 'settings-ice-servers-saved-card.png') });
    const saved = [{ urls: `stun:127.0.0.1:${stun.port}` }, { urls: `turn:127.0.0.1:${turn.port}`, username: 'whatnext', credential: 'secret' }];
    expect(await webrtcOptions(a.page)).toEqual({ iceServers: saved, engine: 'wrtc' });

    // The next connection, with no restart: the invite's peer connection asks both servers.
    await invite(a.page, 'manual');
    await Promise.all([stun.heard(STUN_BINDING), turn.heard(TURN_ALLOCATE)]);

    // Kept across a reload (the service saved it), then removed again.
    await a.page.reload();
    await go(a.page, 'Settings');
    await expect.poll(() => list.getByRole('group', { name: 'Server 2' }).getByLabel('Username').inputValue()).toBe('whatnext');
    await list.getByRole('button', { name: 'Remove server 2' }).click();
    await list.getByRole('button', { name: 'Remove server 1' }).click();
    await list.getByText('None.').waitFor();
    await card.getByRole('button', { name: 'Save options' }).click();
    await card.getByRole('status').getByText('Saved.').waitFor();
    expect(await webrtcOptions(a.page)).toEqual({ iceServers: [], engine: 'wrtc' });
  });

  it('shows the path the service reports as a badge on the peer: Direct on loopback', async () => {
    await pairManually(a.page, 'Alice', b.page, 'Bob');

    await go(a.page, 'Peers');
    const row = a.page.getByRole('group', { name: 'Connection with Bob' });
    const badge = row.getByTestId('path');
    await badge.waitFor();
    const connections = await request<Summary[]>(a.page, 'connections.list');
    const path = connections.find((c) => c.state === 'open' && c.remote.name === 'Bob')?.stats.path;
    expect(path).toMatchObject({ kind: 'direct', local: 'host', remote: 'host' });
    expect((await badge.textContent())?.trim()).toBe('Direct');
    expect(await badge.getAttribute('title')).toBe(`Your devices reach each other directly (${path!.local} ↔ ${path!.remote}).`);
    await screenshot(a.page, 'peers-path-direct');
    await row.screenshot({ path: join(SCREENSHOTS, 'peers-path-direct-row.png') });
  });
});
