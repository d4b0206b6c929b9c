/**
 * No test, e2e, benchmark or fuzz run sends a packet to a public address: every plugins config
 * they run (fixture configs in `testing/` folders, bench/, the fuzz config, the network lab) lists only
 * ICE servers and signaling brokers on loopback or private addresses. The app's config names public
 * brokers (MQTT, PeerJS) so that real people reach each other with nothing to run; the one test that
 * runs it saves settings that keep it off them (host/service/testing/offline-settings.ts), and the
 * dev script runs plugins.dev.config.ts, with local ones. The app's own plugins.config.ts does list a public
 * STUN server (so two homes behind NATs connect with no setting), and nothing that tests start may
 * run it: the launchers in test support require a config (their types say so).
 *
 * One test runs the app's config: the bundled-service test (host/electron/bundles.test.ts) starts
 * it and shuts it down without making any connection; a peer connection gathers (and contacts its
 * STUN server) only once it negotiates.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isIP } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WhatNextConfig } from '../core/config';
import { OFFLINE_PLUGIN_OPTIONS } from '../host/service/testing/offline-settings';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The public STUN server the app uses by default (as PeerJS does). */
const DEFAULT_PUBLIC_STUN = 'stun:stun.l.google.com:19302';

/** Environment the fixture configs read (they refuse to load without a broker port). */
const FIXTURE_ENV = {
  WHATNEXT_E2E_BROKER_PORT: '1',
  WHATNEXT_TEST_BROKER_PORT: '1',
  WHATNEXT_FUZZ_BROKER_PORT: '1',
  WHATNEXT_E2E_MQTT_URL: 'mqtt://127.0.0.1:1',
  WHATNEXT_TEST_MQTT_URL: 'mqtt://127.0.0.1:1',
};

/** Every plugins config a test, e2e, benchmark or fuzz run may start. */
function testConfigs(): string[] {
  const found: string[] = [];
  const walk = (dir: string, inTesting: boolean) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', '.git', 'dist', 'out', '.data', 'screenshots'].includes(entry.name)) continue;
      const path = join(dir, entry.name);
      const rel = relative(ROOT, path);
      if (entry.isDirectory())
        walk(path, inTesting || entry.name === 'testing' || rel === 'bench' || rel === join('tools', 'fuzz') || rel === join('tools', 'netlab'));
      else if (inTesting && entry.name.endsWith('.config.ts') && !/^(vite|vitest)\./.test(entry.name)) found.push(rel);
    }
  };
  walk(ROOT, false);
  return found.sort();
}

async function load(rel: string): Promise<WhatNextConfig> {
  const module = (await import(pathToFileURL(join(ROOT, rel)).href)) as { default: WhatNextConfig };
  return module.default;
}

/** Every STUN/TURN URL a config's plugins run with: options as the plugin reads them (its
 * schema's defaults applied), searched wherever they are (not only the webrtc plugin's). */
function iceUrls(config: WhatNextConfig): { plugin: string; url: string }[] {
  const urls: { plugin: string; url: string }[] = [];
  for (const instance of config.plugins) {
    const parsed = instance.definition.options?.safeParse(instance.rawOptions ?? {});
    const options: unknown = parsed?.success ? parsed.data : instance.rawOptions;
    const visit = (value: unknown): void => {
      if (typeof value === 'string' && /^(stuns?|turns?):/i.test(value)) urls.push({ plugin: instance.definition.name, url: value });
      else if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') Object.values(value).forEach(visit);
    };
    visit(options);
  }
  return urls;
}

/** The servers a config's signaling methods contact: a `host` option (PeerJS), and the host of any
 * broker URL option (mqtt://, mqtts://, ws://, wss://), with the plugin's schema defaults applied
 * and `saved` options (as a user's settings) over the config's. A method told not to listen
 * contacts nobody until it is used, and counts as none. */
function brokerHosts(config: WhatNextConfig, saved: Record<string, Record<string, unknown>> = {}): { plugin: string; host: string }[] {
  const hosts: { plugin: string; host: string }[] = [];
  for (const instance of config.plugins) {
    const name = instance.definition.name;
    const raw = { ...(instance.rawOptions as Record<string, unknown> | undefined), ...saved[name] };
    const parsed = instance.definition.options?.safeParse(raw);
    const options = (parsed?.success ? parsed.data : raw) as Record<string, unknown> | undefined;
    if (!options || options.listen === false) continue;
    if (typeof options.host === 'string') hosts.push({ plugin: name, host: options.host.replace(/^\[(.*)\]$/, '$1') });
    for (const value of Object.values(options)) {
      if (typeof value === 'string' && /^(mqtts?|wss?):\/\//i.test(value))
        hosts.push({ plugin: name, host: new URL(value).hostname.replace(/^\[(.*)\]$/, '$1') });
    }
  }
  return hosts;
}

/** The host of a STUN/TURN URL (`turn:[::1]:3478?transport=tcp` → `::1`). */
function hostOf(url: string): string {
  const rest = url.slice(url.indexOf(':') + 1).split('?')[0]!;
  if (rest.startsWith('[')) return rest.slice(1, rest.indexOf(']'));
  return rest.split(':')[0]!;
}

/** Loopback, private (RFC 1918, RFC 4193) or link-local: nothing a packet to it leaves for. A
 * name is not: it may resolve to anything. */
function isLocalAddress(host: string): boolean {
  const lower = host.toLowerCase();
  if (isIP(lower) === 4) {
    const [a, b] = lower.split('.').map(Number) as [number, number];
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (isIP(lower) === 6) return lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
  return false;
}

describe('ICE servers the tests run with', () => {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [key, value] of Object.entries(FIXTURE_ENV)) {
      saved[key] = process.env[key];
      process.env[key] ??= value;
    }
  });
  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('tells a local address from a public one', () => {
    for (const local of ['127.0.0.1', '10.0.3.2', '172.16.0.1', '172.31.255.1', '192.168.1.1', '::1', 'fd00::1', 'fe80::1'])
      expect(isLocalAddress(local), local).toBe(true);
    for (const public_ of ['8.8.8.8', '172.32.0.1', '192.0.2.1', '::ffff:8.8.8.8', '2001:4860::1', 'stun.l.google.com', 'localhost.example.org'])
      expect(isLocalAddress(public_), public_).toBe(false);
    expect(hostOf('turn:[::1]:3478?transport=tcp')).toBe('::1');
    expect(hostOf('stun:stun.l.google.com:19302')).toBe('stun.l.google.com');
  });

  it('finds the configs that tests, e2e, the bench and the fuzzer run', () => {
    expect(testConfigs()).toEqual(
      expect.arrayContaining([
        'bench/fixtures/replication.config.ts',
        'host/service/testing/fixtures/p2p.config.ts',
        'host/service/testing/fixtures/hostile.config.ts',
        'host/web/testing/fixtures/webrtc.config.ts',
        'host/web/testing/fixtures/manual-tcp.config.ts',
        'plugins/rxdb/testing/fixtures/p2p.config.ts',
        'tools/fuzz/fuzz.config.ts',
      ]),
    );
  });

  it('lists no ICE server outside this machine or a private network, in any of them', async () => {
    const offending: string[] = [];
    let webrtcConfigs = 0;
    for (const rel of testConfigs()) {
      const config = await load(rel);
      if (config.plugins.some((plugin) => plugin.definition.name === 'webrtc')) webrtcConfigs++;
      for (const { plugin, url } of iceUrls(config)) if (!isLocalAddress(hostOf(url))) offending.push(`${rel}: ${plugin}: ${url}`);
    }
    expect(offending).toEqual([]);
    expect(webrtcConfigs).toBeGreaterThan(3); // the search does see the WebRTC configs
  });

  it('lists no signaling broker outside this machine or a private network, in any of them', async () => {
    const offending: string[] = [];
    let brokerConfigs = 0;
    for (const rel of testConfigs()) {
      const hosts = brokerHosts(await load(rel));
      if (hosts.length) brokerConfigs++;
      for (const { plugin, host } of hosts) if (!isLocalAddress(host)) offending.push(`${rel}: ${plugin}: ${host}`);
    }
    expect(offending).toEqual([]);
    expect(brokerConfigs).toBeGreaterThan(3); // the search does see the broker configs
  });

  it("the app's plugins.config.ts names public brokers, which the bundled-service test's saved settings keep it off, and the dev config does not", async () => {
    const app = (await import('../plugins.config')).default as WhatNextConfig;
    const hosts = brokerHosts(app);
    expect(hosts.map((h) => h.plugin).sort()).toEqual(['mqtt', 'peerjs']);
    for (const { host } of hosts) expect(isLocalAddress(host), host).toBe(false);
    expect(brokerHosts(app, OFFLINE_PLUGIN_OPTIONS as Record<string, Record<string, unknown>>)).toEqual([]);
    const dev = (await import('../plugins.dev.config')).default as WhatNextConfig;
    expect(brokerHosts(dev).filter(({ host }) => !isLocalAddress(host))).toEqual([]);
    expect(iceUrls(dev)).toEqual([]);
  });

  it("the app's plugins.config.ts lists the public STUN server, so the default crosses common home NATs", async () => {
    const app = (await import('../plugins.config')).default as WhatNextConfig;
    expect(iceUrls(app)).toEqual([{ plugin: 'webrtc', url: DEFAULT_PUBLIC_STUN }]);
  });
});
