/**
 * Playlists on one side (create, tracks, reorder by drag and by button, edit, remove and undo,
 * several tracks selected at once, rename, delete), and what a service without the playlist
 * plugin shows.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addTrack,
  createPlaylist,
  endEverything,
  FIXTURES,
  go,
  isAlive,
  launchBrowser,
  openApp,
  screenshot,
  startShell,
  titles,
  type OpenedPage,
  type Shell,
} from '../testing/harness';

describe('playlists', () => {
  let browser: Browser;
  let alice: Shell;
  let bare: Shell;
  const opened: OpenedPage[] = [];

  beforeAll(async () => {
    [alice, bare, browser] = await Promise.all([
      startShell({ name: 'Alice', config: `${FIXTURES}manual-tcp.config.ts` }),
      startShell({ name: 'Dana', config: `${FIXTURES}bare.config.ts` }),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    // Ends every browser, shell and broker this file started, even after a failure.
    await endEverything();
    for (const app of opened) expect(app.problems, 'errors in the page').toEqual([]);
  });

  it('creates a playlist and edits its tracks', async () => {
    const app = await openApp(browser, alice, 'playlists');
    opened.push(app);
    const { page } = app;
    await page.getByText('No playlists yet').first().waitFor();
    await createPlaylist(page, 'Road trip');
    await page.getByText('No tracks yet').waitFor();

    await addTrack(page, 'Heroes', 'David Bowie', '6:07');
    await addTrack(page, 'Hyperballad', 'Björk', '5:21');
    // Enter in Length adds the track, and typing goes on in Title for the next one.
    const form = page.getByRole('form', { name: 'Add a track' });
    await form.getByLabel('Title').fill('Teardrop');
    await form.getByLabel('Artist').fill('Massive Attack');
    await form.getByLabel('Length').fill('5:29');
    await form.getByLabel('Length').press('Enter');
    await page.getByRole('listitem', { name: 'Teardrop by Massive Attack' }).waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('new-track-title');
    expect(await form.getByLabel('Title').inputValue()).toBe('');
    expect(await titles(page)).toEqual(['Heroes', 'Hyperballad', 'Teardrop']);
    // The list of playlists says how many tracks and how long (6:07 + 5:21 + 5:29), as they change.
    const summary = page.getByRole('navigation', { name: 'Playlists' }).getByTestId('playlist-summary');
    await expect.poll(() => summary.textContent()).toBe('3 tracks · 17 min');

    // Reorder by dragging the last track onto the first…
    await page.locator('[data-track]').nth(2).dragTo(page.locator('[data-track]').nth(0));
    await expect.poll(() => titles(page)).toEqual(['Teardrop', 'Heroes', 'Hyperballad']);
    // …and with the keyboard-friendly buttons.
    await page.getByRole('button', { name: 'Move Teardrop down' }).click();
    await expect.poll(() => titles(page)).toEqual(['Heroes', 'Teardrop', 'Hyperballad']);

    // Edit, with the form checking the length.
    await page.getByRole('button', { name: 'Edit Hyperballad' }).click();
    const edit = page.getByRole('form', { name: 'Edit Hyperballad' });
    await edit.getByLabel('Length').fill('five minutes');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.getByText('Use minutes:seconds, like 3:45.').waitFor();
    await edit.getByLabel('Title').fill('Hyperballad (live)');
    await edit.getByLabel('Length').fill('5:40');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('listitem', { name: 'Hyperballad (live) by Björk' }).getByText('5:40').waitFor();

    await page.getByRole('button', { name: 'Remove Heroes' }).click();
    await expect.poll(() => titles(page)).toEqual(['Teardrop', 'Hyperballad (live)']);
    await page.getByRole('list', { name: 'Recent changes' }).getByText('removed “Heroes”').waitFor();
    await expect.poll(() => summary.textContent()).toBe('2 tracks · 11 min');

    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Playlist name').fill('Road trip 2');
    await page.getByRole('form', { name: 'Rename playlist' }).getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('playlist-name').filter({ hasText: 'Road trip 2' }).waitFor();
    await screenshot(page, 'playlists-editing');

    // Stored in the service: a reload shows the same playlist.
    await page.reload();
    await page.locator('[data-phase="ready"]').waitFor();
    await page
      .getByRole('navigation', { name: 'Playlists' })
      .getByRole('button', { name: /Road trip 2/ })
      .click();
    await expect.poll(() => titles(page)).toEqual(['Teardrop', 'Hyperballad (live)']);

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete playlist' }).click();
    await page.getByText('No playlists yet').first().waitFor();
  });

  it('takes a removal back with Undo, and moves or removes several selected tracks at once', async () => {
    const app = await openApp(browser, alice, 'playlists');
    opened.push(app);
    const { page } = app;
    await createPlaylist(page, 'Selection');
    await page.evaluate(async () => {
      const playlists = (await window.whatnext!.request('playlists.list', {})) as { id: string; name: string }[];
      const target = playlists.find((p) => p.name === 'Selection')!;
      const tracks = Array.from({ length: 5 }, (_, i) => ({ title: `Song ${i + 1}`, artist: 'Band', durationMs: 60_000 }));
      await window.whatnext!.request('tracks.add', { playlistId: target.id, tracks });
    });
    const all = ['Song 1', 'Song 2', 'Song 3', 'Song 4', 'Song 5'];
    await expect.poll(() => titles(page)).toEqual(all);

    // One removed, then put back where it was.
    await page.getByRole('button', { name: 'Remove Song 2' }).click();
    await expect.poll(() => titles(page)).toEqual(['Song 1', 'Song 3', 'Song 4', 'Song 5']);
    const undo = page.getByRole('status').filter({ hasText: 'Removed “Song 2”.' });
    await undo.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => titles(page)).toEqual(all);
    await undo.waitFor({ state: 'detached' });

    // Song 2, then Shift+click Song 4: three selected, moved together to the bottom.
    await page.getByRole('checkbox', { name: 'Select Song 2' }).click();
    await page.getByRole('checkbox', { name: 'Select Song 4' }).click({ modifiers: ['Shift'] });
    const bar = page.getByRole('toolbar', { name: 'Selected tracks' });
    await bar.getByText('3 selected').waitFor();
    await bar.getByRole('button', { name: 'Move to bottom' }).click();
    const moved = ['Song 1', 'Song 5', 'Song 2', 'Song 3', 'Song 4'];
    await expect.poll(() => titles(page)).toEqual(moved);

    // Removed together, and back together with one Undo.
    await bar.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => titles(page)).toEqual(['Song 1', 'Song 5']);
    await bar.waitFor({ state: 'detached' });
    const undoMany = page.getByRole('status').filter({ hasText: 'Removed 3 tracks.' });
    await screenshot(page, 'playlists-removed-undo', { fullPage: false });
    await undoMany.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => titles(page)).toEqual(moved);

    await page.getByRole('checkbox', { name: 'Select Song 1' }).click();
    await bar.getByRole('button', { name: 'Select all 5' }).click();
    await bar.getByText('5 selected').waitFor();
    await screenshot(page, 'playlists-selection', { fullPage: false });
    await bar.getByRole('button', { name: 'Clear' }).click();
    await bar.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete playlist' }).click();
    await page.getByText('No playlists yet').first().waitFor();
  });

  it('says what is missing when the service has no plugins', async () => {
    const app = await openApp(browser, bare, 'playlists');
    opened.push(app);
    const { page } = app;
    await page.getByText('Playlists are not available').waitFor();
    await screenshot(page, 'playlists-unavailable');
    await go(page, 'Connect');
    await page.getByText('No signaling method installed').waitFor();
    await screenshot(page, 'connect-no-methods');
  });

  it('says so when the service goes away, and the shell exits 1', async () => {
    const { page } = opened[opened.length - 1]!;
    process.kill(bare.servicePid, 'SIGKILL');
    expect(await bare.exited).toBe(1);
    expect(isAlive(bare.servicePid)).toBe(false);
    const banner = page.getByRole('alert').filter({ hasText: 'Lost contact with the WhatNext service' });
    await banner.waitFor();
    expect(await banner.textContent()).toContain('Reload the page');
    await screenshot(page, 'service-lost');
  });

  it('with the service gone, nothing can be changed, and statuses say they are only the last known', async () => {
    const app = opened[0]!;
    const { page } = app;
    await createPlaylist(page, 'Kept');
    const form = page.getByRole('form', { name: 'Add a track' });
    expect(await form.getByLabel('Title').isDisabled()).toBe(false);

    process.kill(alice.servicePid, 'SIGKILL');
    expect(await alice.exited).toBe(1);
    const banner = page.getByRole('alert').filter({ hasText: 'Lost contact with the WhatNext service' });
    await banner.getByText('nothing below can be changed').waitFor();
    expect(await banner.getByRole('button', { name: 'Reload' }).isDisabled()).toBe(false);
    expect(await form.getByLabel('Title').isDisabled()).toBe(true);
    expect(await form.getByRole('button', { name: 'Add track' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Rename' }).isDisabled()).toBe(true);
    expect(await page.getByLabel('New playlist', { exact: true }).isDisabled()).toBe(true);
    await screenshot(page, 'service-lost-playlists');

    // Moving between views still works (it is the page's own); what they show cannot be used.
    await go(page, 'Settings');
    expect(await page.getByLabel('Display name').isDisabled()).toBe(true);
    const manual = page.getByRole('region', { name: 'Plugin manual' });
    expect(await manual.locator('.badge').textContent()).toBe('Active (last known)');
    await screenshot(page, 'service-lost-settings');
    // The shell that served the page is gone with its service: what the page fetches fails.
    const expected = (problem: string) => problem.includes('net::ERR_CONNECTION_REFUSED');
    app.problems.splice(0, app.problems.length, ...app.problems.filter((problem) => !expected(problem)));
  });
});
