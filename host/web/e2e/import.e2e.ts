/**
 * Getting tracks in, as a person does: a 10,000-line list pasted, a 10,000-entry M3U file chosen,
 * both shared with a peer and arriving there whole; a malformed file refused with its line
 * named and nothing added; the list's summaries, and a 10,000-track playlist opened in pages.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPlaylist,
  importForm,
  endEverything,
  FIXTURES,
  go,
  launchBrowser,
  openApp,
  openPlaylist,
  paste,
  pairManually,
  screenshot,
  titles,
  type OpenedPage,
  type Shell,
  startShell,
} from '../testing/harness';
import { formatTotal } from '../../renderer/src/lib/duration';
import { SOCKET_PATH } from '../socket-path';

const TRACKS = 10_000;
const list = Array.from({ length: TRACKS }, (_, i) => `${i + 1}. Artist ${i} – Song ${i} (${Math.floor(i / 60) % 10}:${String(i % 60).padStart(2, '0')})`).join(
  '\n',
);
const m3u = ['#EXTM3U', ...Array.from({ length: TRACKS }, (_, i) => `#EXTINF:${(i % 400) + 1},Band ${i} - Tune ${i}\nmusic/${i}.mp3`)].join('\n');

describe('importing tracks', () => {
  let browser: Browser;
  let alice: Shell;
  let bob: Shell;
  const opened: OpenedPage[] = [];

  beforeAll(async () => {
    const config = `${FIXTURES}manual-tcp.config.ts`;
    [alice, bob, browser] = await Promise.all([startShell({ name: 'Alice', config }), startShell({ name: 'Bob', config }), launchBrowser()]);
  });

  afterAll(async () => {
    await endEverything();
    for (const app of opened) expect(app.problems, 'errors in the page').toEqual([]);
  });

  it('adds a pasted 10,000-line list and a 10,000-entry M3U file, and both reach a peer whole', async () => {
    const [a, b] = await Promise.all([openApp(browser, alice, 'connect'), openApp(browser, bob, 'connect')]);
    opened.push(a, b);
    await pairManually(a.page, 'Alice', b.page, 'Bob');

    await go(a.page, 'Playlists');
    await createPlaylist(a.page, 'Pasted');
    const form = await importForm(a.page);
    await paste(a.page, form.getByLabel('Paste a list, one track a line'), list);
    await form.getByRole('button', { name: 'Add these tracks' }).click();
    await form.getByText('Added 10,000 tracks from the pasted list (read as list).').waitFor();
    await a.page.getByRole('heading', { name: `Tracks (${TRACKS})` }).waitFor();
    expect(await form.getByLabel('Paste a list, one track a line').inputValue()).toBe('');
    await screenshot(a.page, 'import-pasted');

    await createPlaylist(a.page, 'Mixtape');
    await importForm(a.page);
    await form.locator('input[type=file]').setInputFiles({ name: 'mixtape.m3u', mimeType: 'audio/x-mpegurl', buffer: Buffer.from(m3u) });
    await form.getByText('Added 10,000 tracks from mixtape.m3u (read as M3U playlist).').waitFor();
    await a.page.getByRole('heading', { name: `Tracks (${TRACKS})` }).waitFor();

    // A file with a bad line: refused, the line named, nothing added.
    const broken = 'title,artist,length\nOne,A,1:00\nTwo,B,two minutes\n';
    await form.locator('input[type=file]').setInputFiles({ name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from(broken) });
    await form.getByText('Nothing was added: a line could not be read').waitFor();
    await form.getByText('Line 3: the length "two minutes" is neither m:ss nor seconds.').waitFor();
    expect(await a.page.getByRole('heading', { name: `Tracks (${TRACKS})` }).count()).toBe(1);
    await screenshot(a.page, 'import-refused');
    // An import is one line in the activity log, not 10,000.
    await a.page.getByText('added 10,000 tracks').first().waitFor();

    for (const name of ['Pasted', 'Mixtape']) {
      await openPlaylist(a.page, name);
      await a.page.getByRole('checkbox', { name: /Share with Bob/ }).check();
    }

    await go(b.page, 'Playlists');
    for (const [name, last] of [
      ['Mixtape', `Tune ${TRACKS - 1}`],
      ['Pasted', `Song ${TRACKS - 1}`],
    ] as const) {
      await openPlaylist(b.page, name, 120_000);
      await b.page.getByRole('heading', { name: `Tracks (${TRACKS})` }).waitFor({ timeout: 180_000 });
      // Only the rows in view are in the page: scrolled to the end (while pages may still be
      // coming: their rows fill in), the last track is there.
      await b.page.locator('.track-list').evaluate((list) => list.scrollTo({ top: list.scrollHeight }));
      await expect.poll(() => b.page.locator('.track-title').last().textContent(), { timeout: 30_000 }).toBe(last);
      expect(await b.page.locator('.track').count()).toBeLessThan(100);
    }
    await screenshot(b.page, 'import-arrived');

    // After a reload the list says how many tracks each holds and how long they play; a playlist
    // opens with its first tracks and fetches the rest in pages after them, in order. The page's
    // socket runs through a route here that holds those later pages until the test lets them go.
    const held: string[] = [];
    let holding = true;
    let toShell: ((message: string) => void) | undefined;
    await b.page.routeWebSocket(new RegExp(SOCKET_PATH.replace(/[/_]/g, '\\$&')), (page) => {
      const shell = page.connectToServer();
      toShell = (message) => shell.send(message);
      page.onMessage((message) => {
        const text = String(message);
        if (holding && text.includes('"playlists.get"') && text.includes('"after"')) held.push(text);
        else shell.send(message);
      });
      shell.onMessage((message) => page.send(message));
    });
    await b.page.reload();
    await b.page.locator('[data-phase="ready"]').waitFor();
    const seconds = (lengths: (i: number) => number) => Array.from({ length: TRACKS }, (_, i) => lengths(i)).reduce((sum, n) => sum + n, 0);
    for (const [name, total] of [
      ['Pasted', seconds((i) => (Math.floor(i / 60) % 10) * 60 + (i % 60))],
      ['Mixtape', seconds((i) => (i % 400) + 1)],
    ] as const) {
      const summary = b.page
        .getByRole('navigation', { name: 'Playlists' })
        .getByRole('button', { name: new RegExp(`^${name}`) })
        .getByTestId('playlist-summary');
      await expect.poll(() => summary.textContent()).toBe(`10,000 tracks · ${formatTotal(total * 1000)}`);
    }
    await openPlaylist(b.page, 'Pasted');
    await b.page.getByRole('heading', { name: `Tracks (${TRACKS})` }).waitFor();
    expect((await titles(b.page)).slice(0, 2)).toEqual(['Song 0', 'Song 1']);
    // The first page is here, the next held: the list is as tall as the whole playlist, and the
    // rows not here yet are placeholders.
    await b.page.getByTestId('tracks-loading').getByText('Loading 9,900 more tracks…').waitFor();
    await expect.poll(() => held.length).toBe(1);
    const [height, row] = await b.page.locator('.track-list').evaluate((list) => [list.scrollHeight, list.querySelector<HTMLElement>('.track')!.offsetHeight]);
    expect(height).toBeGreaterThanOrEqual(TRACKS * row * 0.99);
    await b.page.locator('.track-list').evaluate((list) => list.scrollTo({ top: list.scrollHeight }));
    await b.page.locator('.track-pending').last().waitFor();
    expect(await b.page.locator('.track-title').count()).toBe(0);
    await screenshot(b.page, 'playlists-loading-pages', { fullPage: false });
    // Let the pages go: the rows scrolled to fill in where they are.
    holding = false;
    for (const message of held.splice(0)) toShell!(message);
    await expect.poll(() => b.page.locator('.track-title').last().textContent()).toBe(`Song ${TRACKS - 1}`);
    await b.page.getByTestId('tracks-loading').waitFor({ state: 'detached' });
    expect(await b.page.locator('.track-pending').count()).toBe(0);
    await screenshot(b.page, 'playlists-summaries', { fullPage: false });
  }, 600_000);
});
