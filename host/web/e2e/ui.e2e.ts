/**
 * The app in real Chromium against two browser shells (Alice and Bob), each with its own real
 * service: the flows that need no open connection (views and empty states, invites, malformed
 * links, the request card, rejection, a request nobody answers, settings). Carol's service gives
 * a request half a second, so hers can run out while the test waits.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInvite } from '../../../plugins/manual/offers';
import { endEverything, FIXTURES, go, launchBrowser, openApp, openLink, screenshot, startShell, type OpenedPage, type Shell } from '../testing/harness';

const CONFIG = `${FIXTURES}manual-tcp.config.ts`;

describe('the app, before anyone connects', () => {
  let browser: Browser;
  let alice: Shell;
  let bob: Shell;
  let carol: Shell;
  const opened: OpenedPage[] = [];

  const open = async (shell: Shell, view?: string) => {
    const app = await openApp(browser, shell, view);
    opened.push(app);
    return app;
  };

  /** Create an invite on `page` and return its link (read from the field a person copies). */
  async function createInvite(page: Page): Promise<string> {
    await go(page, 'Connect');
    const cards = page.locator('[data-attempt]');
    const before = await cards.count();
    await page.getByRole('button', { name: 'Create invite' }).click();
    await expect.poll(() => cards.count()).toBe(before + 1);
    // Newest first.
    const field = cards.first().getByLabel('Invite link', { exact: true });
    await field.waitFor();
    return field.inputValue();
  }

  beforeAll(async () => {
    [alice, bob, carol, browser] = await Promise.all([
      startShell({ name: 'Alice', config: CONFIG }),
      startShell({ name: 'Bob', config: CONFIG }),
      startShell({ name: 'Carol', config: CONFIG, approvalTimeoutMs: 500 }),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    // Ends every browser, shell and broker this file started, even after a failure.
    await endEverything();
    for (const app of opened) expect(app.problems, 'errors in the page').toEqual([]);
  });

  it('shows every view with a helpful empty state', async () => {
    const { page } = await open(alice);
    expect(await page.getByTestId('local-name').textContent()).toBe('Alice');
    await page.getByText('Nobody is connected').waitFor();
    await page.getByText('No known peers yet').waitFor();
    await screenshot(page, 'peers-empty');

    await go(page, 'Connect');
    await page.getByText('Nothing in progress').waitFor();
    await screenshot(page, 'connect-empty');

    await go(page, 'Playlists');
    await screenshot(page, 'playlists');

    await go(page, 'Settings');
    await page.getByRole('region', { name: 'Plugin manual' }).waitFor();
    await screenshot(page, 'settings');
  });

  it('explains a malformed link and what to try next', async () => {
    const { page } = await open(bob, 'connect');
    const field = page.getByLabel('Invite link or code');
    const alert = page.getByRole('alert');

    await field.fill('whtnxt://connect?v=1');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await alert.filter({ hasText: 'This link does not say how to connect' }).waitFor();
    expect(await alert.first().textContent()).toContain('copy the whole link again');
    await screenshot(page, 'connect-malformed-link');

    await field.fill('hello, here is my playlist');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await alert.filter({ hasText: 'This is not a WhatNext link' }).waitFor();

    await field.fill('whtnxt://connect?v=1&via=carrier-pigeon&o=1');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await alert.filter({ hasText: 'This link uses a connection method you do not have' }).waitFor();
    expect(await alert.first().textContent()).toContain('carrier-pigeon');
  });

  it('creates an invite with a link to copy, a QR code and a field for the reply code', async () => {
    const { page } = await open(alice);
    const link = await createInvite(page);
    expect(link).toMatch(/^whtnxt:\/\/connect\?v=1&via=manual&/);
    const card = page.locator('[data-attempt]').first();
    await card.getByRole('img', { name: 'Invite link as a QR code' }).waitFor();
    await card.getByLabel('Reply code', { exact: true }).waitFor();
    expect(await card.getByText('Waiting for the reply code').count()).toBe(1);

    await card.getByRole('button', { name: 'Copy invite link' }).click();
    await card.getByRole('button', { name: 'Copied invite link' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);

    await card.getByRole('button', { name: 'Code' }).click();
    expect(await card.getByLabel('Invite code', { exact: true }).inputValue()).toMatch(/^wno3\./);
    // The clipboard holds the link, not the code now shown: the button offers to copy again at
    // once (read straight away: "Copied" would also go by itself after a while).
    expect(await card.locator('.copy-field button').textContent()).toBe('Copy invite code');
    await screenshot(page, 'connect-invite');

    // The invite lives in the service: a reload shows it again.
    await page.reload();
    await page.locator('[data-phase="ready"]').waitFor();
    expect(await page.getByLabel('Invite link', { exact: true }).first().inputValue()).toBe(link);
  });

  it('shows who and how before connecting, with a countdown, and says so when rejected', async () => {
    const inviter = await open(alice);
    const link = await createInvite(inviter.page);

    const { page } = await open(bob, 'peers');
    await go(page, 'Connect');
    await page.getByLabel('Invite link or code').fill(link);
    await page.getByRole('button', { name: 'Open', exact: true }).click();

    const request = page.getByRole('region', { name: 'Request from Alice' });
    await request.waitFor();
    expect(await request.getByRole('heading').textContent()).toBe('Connect to Alice?');
    expect(await request.getByTestId('request-name').textContent()).toBe('Alice');
    expect(await request.getByTestId('request-method').textContent()).toContain('Copy & paste');
    const countdown = (await request.getByTestId('countdown').textContent()) ?? '';
    const seconds = Number(/(?<!\d)(\d+) s left to decide/.exec(countdown)?.[1]);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(30);
    await screenshot(page, 'request-card');

    // The request shows on every view until it is decided.
    await go(page, 'Settings');
    await request.waitFor();

    await request.getByRole('button', { name: 'Reject' }).click();
    await request.waitFor({ state: 'detached' });
    await go(page, 'Connect');
    const card = page.locator('[data-state="rejected"]');
    await card.getByRole('alert').filter({ hasText: 'You declined this request' }).waitFor();
    await screenshot(page, 'connect-rejected');
  });

  it('says a request nobody answered timed out, not that it was declined', async () => {
    const inviter = await open(alice);
    const link = await createInvite(inviter.page);
    const { page } = await open(carol, 'connect');
    await openLink(page, link);
    const request = page.getByRole('region', { name: 'Request from Alice' });
    await request.getByRole('button', { name: 'Accept' }).waitFor();
    // Carol does nothing; the request is then an attempt that ended, and says why (her service
    // marks the rejection with the reason `approval-timeout`).
    const ended = page.getByRole('region', { name: "Answering Alice's invite" });
    await ended.getByText('The request timed out').waitFor();
    await ended.getByText('Timed out', { exact: true }).waitFor(); // the badge
    expect(await ended.textContent()).not.toMatch(/declined/i);
    // It waited for Carol herself: "nobody" would read as if the other side had not answered.
    await ended.getByText('You did not accept or decline it in time (no answer within 1 s)').waitFor();
    expect(await ended.textContent()).not.toMatch(/nobody/i);
    await screenshot(page, 'request-timed-out', { fullPage: false });
  });

  it('switching the default method changes what the next invite uses', async () => {
    const { page } = await open(alice, 'settings');
    const lobbyMethod = page.getByRole('group', { name: 'Method lobby' });
    await lobbyMethod.getByRole('button', { name: 'Make default' }).click();
    await lobbyMethod.getByText('Default', { exact: true }).waitFor();

    await go(page, 'Connect');
    expect(await page.getByLabel('Signaling method').inputValue()).toBe('lobby');
    const viaLobby = await createInvite(page);
    expect(viaLobby).toMatch(/[?&]via=lobby&/);

    // A per-invite override leaves the default alone.
    await page.getByLabel('Signaling method').selectOption('manual');
    const viaManual = await createInvite(page);
    expect(viaManual).toContain('via=manual');

    await go(page, 'Settings');
    await page.getByRole('group', { name: 'Method Copy & paste' }).getByRole('button', { name: 'Make default' }).click();
    await page.getByRole('group', { name: 'Method Copy & paste' }).getByText('Default', { exact: true }).waitFor();
  });

  it('checks plugin options and shows errors beside the fields', async () => {
    const { page } = await open(alice, 'settings');
    const manual = page.getByRole('region', { name: 'Plugin manual' });
    const ttl = manual.getByLabel('Invite TTL minutes');

    // Checked in the page from the JSON Schema.
    await ttl.fill('0');
    await manual.getByRole('button', { name: 'Save options' }).click();
    expect(await manual.locator('[data-field="inviteTtlMinutes"] .field-error').textContent()).toBe('Must be at least 1.');
    await ttl.fill('ten');
    await manual.getByRole('button', { name: 'Save options' }).click();
    expect(await manual.locator('[data-field="inviteTtlMinutes"] .field-error').textContent()).toBe('Enter a whole number.');
    await ttl.fill('15');
    await manual.getByRole('button', { name: 'Save options' }).click();
    await manual.getByRole('status').filter({ hasText: 'Saved' }).waitFor();

    // Checked by the service (a rule the JSON Schema cannot express), shown beside the field.
    const lobby = page.getByRole('region', { name: 'Plugin lobby' });
    await lobby.getByLabel('Room').fill('kitchen');
    await lobby.getByRole('button', { name: 'Save options' }).click();
    const roomError = lobby.locator('[data-field="room"] .field-error');
    await roomError.waitFor();
    expect(await roomError.textContent()).toContain('A room name starts with "room-"');
    expect(await lobby.getByLabel('Room').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'settings-errors');

    await lobby.getByLabel('Room').fill('room-2');
    await lobby.getByRole('button', { name: 'Save options' }).click();
    // The lobby reads its room at start only: saved, but not announced as applied.
    await lobby.getByRole('status').filter({ hasText: 'Saved. Room applies after WhatNext restarts.' }).waitFor();

    // Saved in the service: a fresh page shows the new values.
    await page.reload();
    await page.locator('[data-phase="ready"]').waitFor();
    expect(await page.getByRole('region', { name: 'Plugin manual' }).getByLabel('Invite TTL minutes').inputValue()).toBe('15');
    expect(await page.getByRole('region', { name: 'Plugin lobby' }).getByLabel('Room').inputValue()).toBe('room-2');
  });

  it('shows everyday options first, developer ones under Advanced, and says when a change applies', async () => {
    const { page } = await open(alice, 'settings');
    // No account: the sidebar says what the name and id are.
    const you = page.getByLabel('You', { exact: true });
    await you.getByText('Your id on this device').waitFor();
    expect(await you.textContent()).not.toContain('Signed in');

    // Nothing changed: no save button stands out, and none can be pressed.
    const manual = page.getByRole('region', { name: 'Plugin manual' });
    const saveOptions = manual.getByRole('button', { name: 'Save options' });
    const saveName = page.getByRole('button', { name: 'Save name' });
    for (const button of [saveOptions, saveName]) {
      expect(await button.isDisabled()).toBe(true);
      expect(await button.getAttribute('class')).not.toContain('primary');
    }
    await page.getByLabel('Display name').fill('Alice B');
    await expect.poll(() => saveName.getAttribute('class')).toContain('primary');
    await page.getByLabel('Display name').fill('Alice');
    await expect.poll(() => saveName.isDisabled()).toBe(true);

    // The transports are for developers: out of sight until "Advanced" is opened. Like the invite
    // lifetime they apply at once, and say nothing of a restart; the lobby's room takes one and
    // says so.
    const transports = manual.getByLabel('Transports', { exact: true });
    expect(await transports.isVisible()).toBe(false);
    await manual.getByText('Advanced', { exact: true }).click();
    await transports.waitFor();
    expect(await manual.locator('[data-field="transports"] .field-help').textContent()).not.toContain('restart');
    expect(await manual.locator('[data-field="inviteTtlMinutes"] .field-help').textContent()).not.toContain('restart');
    const lobby = page.getByRole('region', { name: 'Plugin lobby' });
    expect(await lobby.locator('[data-field="room"] .field-help').textContent()).toContain('Applies after WhatNext restarts.');
    const rxdb = page.getByRole('region', { name: 'Plugin rxdb' });
    expect(await rxdb.getByLabel('Dev mode').isVisible()).toBe(false);
    await screenshot(page, 'settings-advanced');

    await manual.getByLabel('Invite TTL minutes').fill('1');
    await expect.poll(() => saveOptions.getAttribute('class')).toContain('primary');
    await saveOptions.click();
    await manual.getByRole('status').filter({ hasText: 'Saved. New connections use these options.' }).waitFor();
    expect(await saveOptions.isDisabled()).toBe(true);

    // The next invite lives one minute (the code carries its expiry, in seconds).
    const link = await createInvite(page);
    const expires = readInvite(new URL(link).searchParams.get('o')!).x;
    expect(expires - Date.now() / 1000).toBeLessThanOrEqual(60);
  });

  it('applies a new display name without a restart', async () => {
    const { page } = await open(alice, 'settings');
    await page.getByLabel('Display name').fill('Alice Cooper');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByTestId('local-name').filter({ hasText: 'Alice Cooper' }).waitFor();
    const link = await createInvite(page);
    expect(new URL(link).searchParams.get('n')).toBe('Alice Cooper');

    await go(page, 'Settings');
    await page.getByLabel('Display name').fill('Alice');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page
      .getByTestId('local-name')
      .filter({ hasText: /^Alice$/ })
      .waitFor();
  });
});
