import { describe, expect, it } from 'vitest';
import { FORWARDED_LINK_MAX_LENGTH, MAX_LINKS_PER_ARGV, extractLinks } from './deep-links';
import { acceptedSchemes, protocolClientArgs, registeredScheme } from './schemes';

const PROD = acceptedSchemes(true);
const DEV = acceptedSchemes(false);
const LINK = 'whtnxt://connect?v=1&via=manual&o=wno1.abc';

describe('extractLinks: cold-start argv', () => {
  it('finds the link after the executable (packaged app)', () => {
    expect(extractLinks(['/opt/WhatNext/whatnext', LINK], PROD)).toEqual([LINK]);
  });

  it('finds the link after the app path in development (electron . <link>)', () => {
    expect(extractLinks(['/usr/bin/electron', '.', 'whtnxt-dev://connect?v=1&via=manual'], DEV)).toEqual(['whtnxt-dev://connect?v=1&via=manual']);
  });

  it('returns nothing when there is no link', () => {
    expect(extractLinks(['/opt/WhatNext/whatnext'], PROD)).toEqual([]);
    expect(extractLinks([], PROD)).toEqual([]);
    expect(extractLinks(['C:\\Program Files\\WhatNext\\WhatNext.exe', '--inspect'], PROD)).toEqual([]);
  });
});

describe('extractLinks: second-instance argv', () => {
  it("ignores Chromium's switches wherever they are", () => {
    const argv = ['C:\\WhatNext\\WhatNext.exe', '--allow-file-access-from-files', '--original-process-start-time=13350000000000000', LINK];
    expect(extractLinks(argv, PROD)).toEqual([LINK]);
    const reordered = ['C:\\WhatNext\\WhatNext.exe', LINK, '--original-process-start-time=13350000000000000', '--allow-file-access-from-files', '--'];
    expect(extractLinks(reordered, PROD)).toEqual([LINK]);
  });

  it('keeps several links in order, once each', () => {
    const second = 'whtnxt://connect?v=1&via=peerjs&id=bob';
    expect(extractLinks(['exe', LINK, '--flag', second, LINK], PROD)).toEqual([LINK, second]);
  });

  it('matches the scheme case-insensitively but never inside another argument', () => {
    expect(extractLinks(['exe', 'WHTNXT://connect?v=1&via=manual'], PROD)).toEqual(['WHTNXT://connect?v=1&via=manual']);
    expect(extractLinks(['exe', `--url=${LINK}`, `"${LINK}"`, `x${LINK}`], PROD)).toEqual([]);
  });

  it('forwards malformed links with our scheme (the service rejects them and says why), drops garbage', () => {
    const argv = ['exe', 'whtnxt:', 'whtnxt://nonsense', 'https://example.com', 'mailto:a@b.c', 'whtnxt', '', 'file:///etc/passwd', 42, null];
    expect(extractLinks(argv, PROD)).toEqual(['whtnxt:', 'whtnxt://nonsense']);
  });

  it('takes only the schemes of this build: whtnxt-dev in a packaged app is not a link', () => {
    const dev = 'whtnxt-dev://connect?v=1&via=manual';
    expect(extractLinks(['exe', dev, LINK], PROD)).toEqual([LINK]);
    expect(extractLinks(['exe', dev, LINK], DEV)).toEqual([dev, LINK]);
  });

  it('bounds the number and the length of links', () => {
    const many = Array.from({ length: 20 }, (_, i) => `whtnxt://connect?v=1&via=manual&n=${i}`);
    expect(extractLinks(['exe', ...many], PROD)).toEqual(many.slice(0, MAX_LINKS_PER_ARGV));
    const huge = `whtnxt://connect?v=1&via=manual&o=${'a'.repeat(FORWARDED_LINK_MAX_LENGTH)}`;
    expect(extractLinks(['exe', huge, LINK], PROD)).toEqual([LINK]);
  });
});

describe('protocol registration', () => {
  it('registers whtnxt when packaged and whtnxt-dev in development', () => {
    expect(registeredScheme(true)).toBe('whtnxt');
    expect(registeredScheme(false)).toBe('whtnxt-dev');
    expect(acceptedSchemes(true)).toEqual(['whtnxt']);
    expect(acceptedSchemes(false)).toEqual(['whtnxt-dev', 'whtnxt']);
  });

  it('packaged: the scheme alone (the OS launches the app itself)', () => {
    expect(protocolClientArgs({ packaged: true, defaultApp: false, execPath: '/opt/WhatNext/whatnext', argv: ['/opt/WhatNext/whatnext'] })).toEqual(['whtnxt']);
  });

  it('development: the Electron binary plus the absolute app path', () => {
    const args = protocolClientArgs({
      packaged: false,
      defaultApp: true,
      execPath: '/repo/node_modules/electron/dist/electron',
      argv: ['/repo/node_modules/electron/dist/electron', '.'],
    });
    expect(args).toEqual(['whtnxt-dev', '/repo/node_modules/electron/dist/electron', [process.cwd()]]);
  });
});
