/**
 * A plugin from the data folder, enabled in Settings as a person would: listed from
 * plugins.json before any of its code runs, "loads after restart" once enabled, and loaded
 * (with its own card) after the app starts again on the same data folder.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GREETER, installPackage } from '../../service/testing/data-folder-plugins';
import { tempDir } from '../../service/testing/temp-dirs';
import { endEverything, FIXTURES, go, launchBrowser, openApp, screenshot, startShell } from '../testing/harness';

const CONFIG = `${FIXTURES}manual-tcp.config.ts`;
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(endEverything);

it('enables a plugin package of the data folder in Settings; it loads at the next start', async () => {
  const dataDir = tempDir('whatnext-e2e-plugins-');
  installPackage(dataDir, 'whatnext-plugin-greeter', GREETER, { description: 'Says hello from the data folder' });
  writeFileSync(
    join(dataDir, 'plugins.json'),
    JSON.stringify({ plugins: [{ package: 'whatnext-plugin-greeter', options: { greeting: 'hi' } }, { package: 'not-installed-yet' }] }),
  );

  const first = await startShell({ name: 'Alice', dataDir, config: CONFIG });
  const { page, problems } = await openApp(browser, first);
  await go(page, 'Settings');
  const section = page.getByRole('region', { name: 'Package whatnext-plugin-greeter' });
  await expect.poll(() => section.locator('.badge').textContent()).toBe('Disabled');
  await expect.poll(() => section.textContent()).toContain('Says hello from the data folder');
  const missing = page.getByRole('region', { name: 'Package not-installed-yet' });
  await expect.poll(() => missing.locator('.badge').textContent()).toBe('Not installed');
  await expect.poll(() => missing.textContent()).toContain(`npm install --prefix "${dataDir}" --ignore-scripts not-installed-yet`);
  expect(await page.getByRole('region', { name: 'Plugin greeter' }).count()).toBe(0);

  await section.getByRole('checkbox', { name: 'Enabled' }).check();
  await expect.poll(() => section.locator('.badge').textContent()).toBe('Enabled · loads after restart');
  await expect.poll(() => section.getByRole('status').textContent()).toBe('Applies after restart.');
  await page.getByRole('heading', { name: 'From the data folder' }).scrollIntoViewIfNeeded();
  await screenshot(page, 'settings-data-folder-plugin-enabled');
  expect(problems).toEqual([]);
  await first.stop();

  const second = await startShell({ name: 'Alice', dataDir, config: CONFIG });
  const again = await openApp(browser, second);
  await go(again.page, 'Settings');
  const loaded = again.page.getByRole('region', { name: 'Package whatnext-plugin-greeter' });
  await expect.poll(() => loaded.locator('.badge').textContent()).toBe('Loaded');
  await expect.poll(() => loaded.textContent()).toContain('Runs as the plugin greeter');
  const card = again.page.getByRole('region', { name: 'Plugin greeter' });
  await expect.poll(() => card.locator('.badge').textContent()).toBe('Active');
  await screenshot(again.page, 'settings-data-folder-plugin-loaded');
  expect(again.problems).toEqual([]);
});
