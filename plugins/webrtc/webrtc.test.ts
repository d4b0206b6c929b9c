/**
 * The webrtc plugin: its options, the service a dependent plugin gets, and settings that apply
 * to the next peer connection.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { PluginHost, definePlugin } from '@whatnext/core';
import { createWebRtc, webrtc, WebRtcOptions, TURN_TLS_CA_MAX, type WebRtcEngine, type WebRtcService } from './index';
import { selfSigned } from './testing/self-signed';

const local = { id: '0123456789abcdefghijklmnop', name: 'Tester' };
const STUN = { urls: 'stun:stun.example.org:3478' };
/** A certificate in PEM, as a TURN server's CA would be given. */
const CA = selfSigned().certPem;

/** A plugin that depends on webrtc and keeps what `ctx.use` gave it. */
function consumer() {
  const seen: { service?: WebRtcService } = {};
  const plugin = definePlugin({
    name: 'consumer',
    version: '1.0.0',
    api: '^2.0.0',
    dependencies: ['webrtc'],
    setup(ctx) {
      seen.service = ctx.use<WebRtcService>('webrtc');
    },
  });
  return { plugin, seen };
}

describe('webrtc options', () => {
  it('has no ICE servers and the @roamhq/wrtc engine by default', () => {
    expect(WebRtcOptions.parse({})).toEqual({ iceServers: [], engine: 'wrtc' });
  });

  it('takes STUN and TURN servers, a TURN server with its username and credential', () => {
    const iceServers = [
      STUN,
      { urls: ['turn:turn.example.org:3478?transport=tcp', 'turns:turn.example.org:5349'], username: 'u', credential: 'c' },
      { urls: 'stuns:stun.example.org' },
    ];
    expect(WebRtcOptions.parse({ iceServers }).iceServers).toEqual(iceServers);
  });

  it('refuses a TURN server without its username or credential, naming the field', () => {
    const result = WebRtcOptions.safeParse({
      iceServers: [STUN, { urls: ['stun:a.example.org', 'turn:turn.example.org'], credential: 'c' }, { urls: 'turns:turn.example.org', username: 'u' }],
    });
    expect(result.error?.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [['iceServers', 1, 'username'], 'a TURN server needs a username'],
      [['iceServers', 2, 'credential'], 'a TURN server needs a credential'],
    ]);
  });

  it('refuses what is not a STUN/TURN URL, naming the field and saying what is wrong', () => {
    const issues = (urls: unknown) =>
      WebRtcOptions.safeParse({ iceServers: [STUN, { urls, username: 'u', credential: 'c' }] }).error?.issues.map((issue) => [
        issue.path.join('.'),
        issue.message,
      ]);
    const at = 'iceServers.1.urls';
    expect(issues('http://stun.example.org')).toEqual([[at, 'an ICE server URL starts with stun:, stuns:, turn: or turns: (this one has the scheme "http:")']]);
    expect(issues('stun.example.org')).toEqual([[at, 'an ICE server URL starts with stun:, stuns:, turn: or turns: (this one has no scheme)']]);
    expect(issues('stun:stun.example.org:99999')).toEqual([[at, '"99999" is not a port (in stun:stun.example.org:99999): a port is a number from 1 to 65535']]);
    expect(issues(['stun:a.example.org', 'turn:b.example.org:0'])).toEqual([
      [`${at}.1`, '"0" is not a port (in turn:b.example.org:0): a port is a number from 1 to 65535'],
    ]);
    expect(issues('turn:turn.example.org:34x78')).toEqual([[at, '"34x78" is not a port (in turn:turn.example.org:34x78): a port is a number from 1 to 65535']]);
    expect(issues('stun://stun.example.org')).toEqual([[at, 'write stun:host:port, without "//" after the scheme']]);
    expect(issues('stun:')).toEqual([[at, 'the URL names no host: stun:host:port']]);
    expect(issues('stun:a b')).toEqual([[at, '"a b" is not a host name or an IP address']]);
    expect(issues('turn:2001:db8::1:3478')).toEqual([[at, 'an IPv6 address goes in brackets: turn:[2001:db8::1]:3478']]);
    expect(issues('stun:a.example.org?transport=tcp')).toEqual([
      [at, 'a stun: URL takes no "?" part (only turn: and turns: take ?transport=udp or ?transport=tcp)'],
    ]);
    expect(issues('turn:a.example.org?transport=sctp')).toEqual([[at, 'the only "?" part a TURN URL takes is ?transport=udp or ?transport=tcp']]);
    expect(issues('TURN:turn.example.org')).toEqual([[at, 'write the scheme in lower case: turn:']]);
    expect(issues(`stun:${'a'.repeat(5000)}`)).toEqual([[at, 'an ICE server URL is at most 512 characters']]);
    for (const good of [
      'stun:192.0.2.1',
      'stuns:stun.example.org:5349',
      'turn:[2001:db8::1]:3478?transport=tcp',
      'turns:turn.example.org:443?transport=TCP',
      'stun:[::1]',
    ]) {
      expect(issues(good), good).toBeUndefined();
    }
  });

  it('takes only URLs the engine takes too', () => {
    const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as WebRtcEngine;
    const urls = [
      'stun:192.0.2.1',
      'stuns:stun.example.org:5349',
      'turn:[2001:db8::1]:3478?transport=tcp',
      'turns:turn.example.org:443?transport=TCP',
      'stun:[::1]',
    ];
    // Constructing a peer connection parses its servers and contacts none (nothing gathers yet).
    const pc = new wrtc.RTCPeerConnection(createWebRtc({ iceServers: [{ urls, username: 'u', credential: 'c' }] }).configuration());
    pc.close();
    expect(() => new wrtc.RTCPeerConnection({ iceServers: [{ urls: 'TURN:turn.example.org', username: 'u', credential: 'c' }] })).toThrow(/parse/);
  });

  it('refuses unknown fields', () => {
    expect(WebRtcOptions.safeParse({ iceServers: [{ ...STUN, user: 'x' }] }).success).toBe(false);
    expect(WebRtcOptions.safeParse({ stun: 'stun:a' }).success).toBe(false);
  });

  it('refuses an engine without the WebRTC constructors, naming the field', () => {
    const result = WebRtcOptions.safeParse({ engine: { RTCPeerConnection: class {} } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['engine']);
  });

  it('takes an engine by name, and refuses a name it does not know, saying which it knows', () => {
    expect(WebRtcOptions.parse({ engine: 'werift' }).engine).toBe('werift');
    expect(WebRtcOptions.parse({ engine: 'wrtc' }).engine).toBe('wrtc');
    const result = WebRtcOptions.safeParse({ engine: 'libdatachannel' });
    expect(result.error?.issues.map((i) => [i.path, i.message])).toEqual([[['engine'], expect.stringContaining("engine must be 'wrtc' or 'werift'")]]);
  });

  it('takes PEM certificates to trust for turns: servers, with the werift engine', () => {
    const two = `${CA}\n${selfSigned().certPem}`;
    expect(WebRtcOptions.parse({ engine: 'werift', turnTlsCa: CA }).turnTlsCa).toBe(CA);
    expect(WebRtcOptions.parse({ engine: 'werift', turnTlsCa: two }).turnTlsCa).toBe(two);
  });

  it('refuses a turnTlsCa that is not PEM certificates, or too long, naming the field and what is wrong', () => {
    const body = CA.split('\n').slice(1, -2).join('\n');
    const cases: [string, RegExp][] = [
      ['not a certificate', /at least one -----BEGIN CERTIFICATE----- block/],
      [`-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----`, /certificate 1 of turnTlsCa cannot be read/],
      [`${CA}\n-----BEGIN CERTIFICATE-----\n${body.slice(8)}\n-----END CERTIFICATE-----`, /certificate 2 of turnTlsCa cannot be read/],
      [`-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n${CA}`, /only PEM CERTIFICATE blocks/],
      [`${CA}${' '.repeat(TURN_TLS_CA_MAX)}`, /at most 65536 characters/],
    ];
    for (const [turnTlsCa, message] of cases) {
      const result = WebRtcOptions.safeParse({ engine: 'werift', turnTlsCa });
      expect(
        result.error?.issues.map((i) => i.path),
        turnTlsCa.slice(0, 40),
      ).toEqual([['turnTlsCa']]);
      expect(result.error?.issues[0]?.message).toMatch(message);
    }
  });

  it("refuses a turnTlsCa without engine 'werift', which is the one that can use it", () => {
    for (const engine of [undefined, 'wrtc'] as const) {
      const result = WebRtcOptions.safeParse({ engine, turnTlsCa: CA });
      expect(result.error?.issues.map((i) => [i.path, i.message])).toEqual([[['turnTlsCa'], expect.stringMatching(/needs engine: 'werift'/)]]);
    }
  });
});

describe('webrtc plugin', () => {
  it('provides its service to the plugins that depend on it, and loads no engine for that', async () => {
    const { plugin, seen } = consumer();
    const host = new PluginHost({ plugins: [plugin(), webrtc({ iceServers: [STUN] })], local });
    await host.start();
    expect(host.plugins().map((p) => [p.name, p.state])).toEqual([
      ['webrtc', 'active'],
      ['consumer', 'active'],
    ]);
    expect(seen.service!.configuration()).toEqual({ iceServers: [STUN] });
    expect(host.plugins()[0]!.optionsSchema).toMatchObject({ properties: { iceServers: { type: 'array' } } });
    await host.stop();
  });

  it('applies new ICE servers from settings to what the next peer connection is configured with', async () => {
    const { plugin, seen } = consumer();
    const host = new PluginHost({ plugins: [webrtc(), plugin()], local });
    await host.start();
    expect(seen.service!.configuration()).toEqual({ iceServers: [] });
    host.configure('webrtc', { iceServers: [STUN] });
    expect(seen.service!.configuration()).toEqual({ iceServers: [STUN] });
    // Refused settings change nothing.
    expect(() => host.configure('webrtc', { iceServers: [{ urls: 'turn:turn.example.org' }] })).toThrow(/a TURN server needs a username/);
    expect(seen.service!.configuration()).toEqual({ iceServers: [STUN] });
    await host.stop();
  });

  it('refuses bad options naming the field, and its dependents fail with it', async () => {
    const { plugin } = consumer();
    const errors: string[] = [];
    const host = new PluginHost({
      plugins: [webrtc({ iceServers: [{ urls: 'http://stun.example.org' }], engine: { RTCPeerConnection: 1 } as never }), plugin()],
      local,
    });
    host.on('plugin-error', (e) => errors.push(e.error.message));
    await host.start();
    expect(errors[0]).toContain('[plugin webrtc] has invalid options');
    expect(errors[0]).toContain('iceServers');
    expect(errors[0]).toContain("engine must be 'wrtc' or 'werift', or an object with RTCPeerConnection");
    expect(errors[1]).toMatch(/^\[plugin consumer\] depends on plugin webrtc, which failed/);
    await host.stop();
  });

  it('gives the injected engine, else @roamhq/wrtc, loaded once', () => {
    const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as WebRtcEngine;
    const injected: WebRtcEngine = { ...wrtc };
    expect(createWebRtc({ engine: injected }).engine()).toBe(injected);
    const loaded = createWebRtc().engine();
    expect(loaded.RTCPeerConnection).toBe(wrtc.RTCPeerConnection);
    expect(createWebRtc().engine()).toBe(loaded);
    expect(createWebRtc({ engine: 'wrtc' }).engine()).toBe(loaded);
  });

  it("gives werift for engine 'werift', its peer connections trusting turnTlsCa", () => {
    const werift = createRequire(import.meta.url)('werift') as { RTCPeerConnection: new () => object };
    const service = createWebRtc({ engine: 'werift', turnTlsCa: CA });
    const engine = service.engine();
    expect(service.engine()).toBe(engine);
    const pcs = [new engine.RTCPeerConnection(), new engine.RTCPeerConnection()];
    try {
      expect(pcs[0]).toBeInstanceOf(werift.RTCPeerConnection);
      for (const pc of pcs) expect((pc.getConfiguration() as { turnTlsOptions?: unknown }).turnTlsOptions).toEqual({ ca: CA });
      // Only the servers configured: werift's own default is a public STUN server.
      expect(pcs[0]!.getConfiguration().iceServers).toEqual([]);
    } finally {
      for (const pc of pcs) pc.close();
    }
    // A change of CA from settings applies to the next peer connection.
    service.configure(WebRtcOptions.parse({ engine: 'werift' }));
    const next = new (service.engine().RTCPeerConnection)();
    expect((next.getConfiguration() as { turnTlsOptions?: unknown }).turnTlsOptions).toBeUndefined();
    next.close();
  });
});
