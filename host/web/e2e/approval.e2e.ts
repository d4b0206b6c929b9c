/**
 * A request nobody answers: Carol opens Alice's invite and never accepts it. When her approval
 * time runs out her card says the request timed out (the service marks the rejection with the
 * reason `approval-timeout`), not that she declined it.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endEverything, FIXTURES, invite, launchBrowser, openApp, openLink, screenshot, startShell, type OpenedPage, type Shell } from './harness';

const CONFIG = `${FIXTURES}manual-tcp.config.ts`;

describe('a request nobody answers', () => {
  let browser: Browser;
  let alice: Shell;
  let carol: Shell;
  let a: OpenedPage;
  let c: OpenedPage;

  beforeAll(async () => {
    [alice, carol, browser] = await Promise.all([
      startShell({ name: 'Alice', config: CONFIG }),
      startShell({ name: 'Carol', config: CONFIG, approvalTimeoutMs: 500 }),
      launchBrowser(),
    ]);
    [a, c] = await Promise.all([openApp(browser, alice, 'connect'), openApp(browser, carol, 'connect')]);
  });

  afterAll(async () => {
    await endEverything();
    expect([...(a?.problems ?? []), ...(c?.problems ?? [])], 'errors in the pages').toEqual([]);
  });

  it('says the request timed out, not that it was declined', async () => {
    await openLink(c.page, await invite(a.page));
    const request = c.page.getByRole('region', { name: 'Request from Alice' });
    await request.getByRole('button', { name: 'Accept' }).waitFor();
    // Carol does nothing; the request is then an attempt that ended, and says why.
    const ended = c.page.getByRole('region', { name: "Answering Alice's invite" });
    await ended.getByText('The request timed out').waitFor();
    await ended.getByText('Timed out', { exact: true }).waitFor(); // the badge
    expect(await ended.textContent()).not.toMatch(/declined/i);
    await screenshot(c.page, 'request-timed-out', { fullPage: false });
  });
});
