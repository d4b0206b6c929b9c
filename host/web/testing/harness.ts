/**
 * E2E harness: real browser shells (each with its own real service) driven through headless
 * Chromium. Every process started here is ended by the test that started it.
 *
 * Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM_PATH); nothing is downloaded.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsQR from 'jsqr';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { expect } from 'vitest';
import { startBroker, type Broker } from '../../../plugins/peerjs/broker';
import { tempDir } from '../../service/testing/temp-dirs';
import { startShellProcess, type Shell, type ShellProcessOptions } from '../testing/shell-process';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const SCREENSHOTS = fileURLToPath(new URL('../../../screenshots/', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const DESKTOP = { width: 1280, height: 800 };

/** Everything started here and not yet ended: `endEverything()` ends it all, so a test that
 * fails half-way through starting (or checking) leaves nothing running. */
const running = new Set<() => Promise<unknown>>();
/** Set while `endEverything()` runs: a page whose service is stopped before its browser says
 * so ("the service connection closed"), and that is the teardown's doing, not a problem. */
let ending = false;

/** Register a way to end something a test started (a broker, say). */
export function onCleanup(end: () => Promise<unknown>): void {
  running.add(end);
}

/** End every browser, shell and broker still running; call it in `afterAll`. */
export async function endEverything(): Promise<void> {
  const ends = [...running];
  running.clear();
  ending = true;
  try {
    await Promise.allSettled(ends.map((end) => end()));
  } finally {
    ending = false;
  }
}

export type { Shell };

export interface ShellOptions extends Omit<ShellProcessOptions, 'dataDir' | 'onOutput' | 'onSpawn'> {
  dataDir?: string;
}

/** A shell process (its own service) that `endEverything()` ends, even if it never got ready. */
export async function startShell(options: ShellOptions): Promise<Shell> {
  const dataDir = options.dataDir ?? tempDir(`whatnext-e2e-${options.name.toLowerCase()}-`);
  let endEarly: (() => Promise<unknown>) | undefined;
  const shell = await startShellProcess({
    ...options,
    dataDir,
    onOutput: (chunk) => {
      if (process.env.WHATNEXT_TEST_VERBOSE) process.stderr.write(`[${options.name}] ${chunk}`);
    },
    onSpawn: (kill) => onCleanup((endEarly = kill)),
  });
  if (endEarly) running.delete(endEarly);
  onCleanup(() => shell.stop());
  return shell;
}

export async function launchBrowser(): Promise<Browser> {
  // Playwright gives every launch a fresh, temporary user-data-dir.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  onCleanup(() => browser.close());
  return browser;
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Errors the page threw or logged, and requests the CSP blocked. */
  problems: string[];
}

/** A fresh browser context on `shell`, waiting until the app has loaded the service's state. */
export async function openApp(browser: Browser, shell: Shell, view = 'peers'): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: DESKTOP });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(shell.url).origin });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => {
    if (!ending) problems.push(`pageerror: ${error.message}`);
  });
  page.on('console', (message) => {
    if (!ending && message.type() === 'error' && !/favicon/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${shell.url}#/${view}`);
  await page.locator('[data-phase="ready"]').waitFor();
  return { context, page, problems };
}

export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  // From the top, as a person first sees the view (the sidebar is sticky).
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: options.fullPage ?? true });
  return path;
}

/** Show a view through the sidebar, as a person would. */
export async function go(page: Page, view: 'Peers' | 'Connect' | 'Playlists' | 'Settings'): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: new RegExp(`^${view}`) })
    .click();
  await page.getByRole('heading', { level: 1, name: view }).waitFor();
}

/** Whether a process is still alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---- playlist steps, as a person does them ----

/** Track titles in the order shown. */
export const titles = (page: Page) => page.locator('.track-title').allTextContents();

export async function addTrack(page: Page, title: string, artist: string, length: string): Promise<void> {
  const form = page.getByRole('form', { name: 'Add a track' });
  await form.getByLabel('Title').fill(title);
  await form.getByLabel('Artist').fill(artist);
  await form.getByLabel('Length').fill(length);
  await form.getByRole('button', { name: 'Add track' }).click();
  await page.getByRole('listitem', { name: `${title} by ${artist}` }).waitFor();
}

export async function createPlaylist(page: Page, name: string): Promise<void> {
  await page.getByLabel('New playlist', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.getByTestId('playlist-name').filter({ hasText: name }).waitFor();
}

/** Show a playlist by clicking it in the list of playlists (waiting `timeoutMs` for it to be there). */
export async function openPlaylist(page: Page, name: string, timeoutMs?: number): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Playlists' })
    .getByRole('button', { name: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`) })
    .click(timeoutMs ? { timeout: timeoutMs } : {});
  await page.getByTestId('playlist-name').filter({ hasText: name }).waitFor();
}

/** The "Import tracks" form of the playlist shown, opened if it was folded. */
export async function importForm(page: Page): Promise<ReturnType<Page['getByRole']>> {
  const details = page.locator('details.import-tracks');
  if (!(await details.evaluate((d: HTMLDetailsElement) => d.open))) await details.getByText('Import tracks', { exact: true }).click();
  return page.getByRole('form', { name: 'Import tracks' });
}

/** Paste `text` into a field as a person does: onto the clipboard, then Ctrl+V. (Playwright's
 * `fill` types a long text in slowly, line by line.) */
export async function paste(page: Page, field: ReturnType<Page['getByRole']>, text: string): Promise<void> {
  await page.evaluate((value) => navigator.clipboard.writeText(value), text);
  await field.focus();
  await page.keyboard.press('Control+V');
}

/** Click a copy button and return what landed on the clipboard. */
export async function copyFrom(page: Page, button: ReturnType<Page['getByRole']>): Promise<string> {
  await button.click();
  await page
    .getByRole('button', { name: /^Copied/ })
    .first()
    .waitFor();
  return page.evaluate(() => navigator.clipboard.readText());
}

/** The text of the QR code `image` shows, read from a screenshot of it as a camera would. */
export async function readQr(image: Locator): Promise<string> {
  const { data, width, height } = PNG.sync.read(await image.screenshot());
  const read = jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width, height);
  if (!read) throw new Error('no QR code could be read from the screenshot');
  return read.data;
}

/** Create an invite with `method` (or the default) and return its link. */
export async function invite(page: Page, method?: string): Promise<string> {
  await go(page, 'Connect');
  if (method) await page.getByLabel('Signaling method').selectOption(method);
  const cards = page.locator('[data-attempt]');
  const before = await cards.count();
  await page.getByRole('button', { name: 'Create invite' }).click();
  await expect.poll(() => cards.count()).toBe(before + 1);
  const card = cards.first();
  await card.getByLabel('Invite link', { exact: true }).waitFor();
  return copyFrom(page, card.getByRole('button', { name: 'Copy invite link' }));
}

export async function openLink(page: Page, link: string): Promise<void> {
  await go(page, 'Connect');
  await page.getByLabel('Invite link or code').fill(link);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
}

/** Alice and Bob on the real-WebRTC config (`fixtures/webrtc.config.ts`), with the file's own
 * PeerJS broker on a loopback port, each in a page of one browser at `view`. Everything is ended
 * by `endEverything`. */
export async function startWebRtcPair(view = 'connect'): Promise<{ broker: Broker; alice: Shell; bob: Shell; browser: Browser; a: OpenedPage; b: OpenedPage }> {
  const broker = await startBroker({ port: 0, host: '127.0.0.1' });
  onCleanup(() => broker.close());
  const config = `${FIXTURES}webrtc.config.ts`;
  const env = { WHATNEXT_E2E_BROKER_PORT: String(broker.port) };
  const [alice, bob, browser] = await Promise.all([startShell({ name: 'Alice', config, env }), startShell({ name: 'Bob', config, env }), launchBrowser()]);
  const [a, b] = await Promise.all([openApp(browser, alice, view), openApp(browser, bob, view)]);
  return { broker, alice, bob, browser, a, b };
}

/** The copy & paste flow as two people do it: the inviter (`a`, named `aName`) invites over
 * manual signaling, the other accepts and copies the reply code back; resolves once the
 * inviter's card says it connected. */
export async function pairManually(a: Page, aName: string, b: Page, bName: string): Promise<void> {
  const link = await invite(a, 'manual');
  await openLink(b, link);
  await b
    .getByRole('region', { name: `Request from ${aName}` })
    .getByRole('button', { name: 'Accept' })
    .click();
  const reply = await copyFrom(b, b.locator('[data-attempt]').first().getByRole('button', { name: 'Copy reply code' }));
  const inviteCard = a.locator('[data-attempt]').first();
  await inviteCard.getByLabel('Reply code', { exact: true }).fill(reply);
  await inviteCard.getByRole('button', { name: 'Connect' }).click();
  await inviteCard.getByText(`Connected to ${bName}.`).waitFor();
}
