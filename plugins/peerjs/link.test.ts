import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinkError, PluginError, PluginHost, parseLink } from '@whatnext/core';
import { webrtc } from '../webrtc';
import { peerjs } from './index';
import { PARAM, inviteParams, parsePeerjsLink } from './link';
import { BrokerPath, PeerjsOptions } from './options';

const ID = '0123456789abcdefghjkmnpqrs';
const broker = { host: '127.0.0.1', port: 9000, path: '/whatnext', key: 'peerjs', secure: false };
const good = inviteParams(broker, ID);

function refusal(params: Record<string, string>): LinkError {
  try {
    parsePeerjsLink(params);
  } catch (error) {
    expect(error).toBeInstanceOf(LinkError);
    return error as LinkError;
  }
  throw new Error(`accepted ${JSON.stringify(params)}`);
}

describe('peerjs link parameters', () => {
  it('round-trips the invite parameters', () => {
    expect(good).toEqual({ h: '127.0.0.1', p: '9000', pt: '/whatnext', k: 'peerjs', s: '0', id: ID });
    expect(parsePeerjsLink(good)).toEqual({ method: 'peerjs', remote: { id: ID }, params: { ...broker, id: ID } });
  });

  it("carries the inviter's handshake nonce when it has one", () => {
    const nonce = 'AAECAwQFBgcICQoLDA0ODw';
    const withNonce = inviteParams(broker, ID, nonce);
    expect(withNonce.hn).toBe(nonce);
    expect(parsePeerjsLink(withNonce).params).toEqual({ ...broker, id: ID, nonce });
  });

  it('accepts DNS names, bracketed IPv6, wss and a root path', () => {
    const target = parsePeerjsLink({ ...good, h: 'broker.example.org', s: '1', pt: '/' });
    expect(target.params).toMatchObject({ host: 'broker.example.org', secure: true, path: '/' });
    expect(parsePeerjsLink({ ...good, h: '[::1]' }).params.host).toBe('[::1]');
  });

  it('survives the whtnxt:// codec', () => {
    const url = `whtnxt://connect?v=1&via=peerjs&n=Ada&t=abcdefgh12345678&${new URLSearchParams(good)}`;
    const link = parseLink(url);
    expect(parsePeerjsLink(link.params).params).toEqual({ ...broker, id: ID });
  });

  const bad: [string, Record<string, string>, string, RegExp][] = [
    ['no peer id', { ...good, id: '' }, 'missing-param', /no peer id \(id=\)/],
    ['no host', (({ h: _h, ...rest }) => rest)(good), 'missing-param', /no broker host \(h=\)/],
    ['an upper-case peer id', { ...good, id: ID.toUpperCase() }, 'bad-param', /peer id \(id=\).*26 lowercase/],
    ['a host with a path', { ...good, h: 'evil.example/x' }, 'bad-param', /broker host/],
    ['a host with credentials', { ...good, h: 'user@evil.example' }, 'bad-param', /broker host/],
    ['a host with a space', { ...good, h: 'a b' }, 'bad-param', /broker host/],
    ['a numeric host that means another address', { ...good, h: '2130706433' }, 'bad-param', /normal form/],
    ['a bare IPv6 address', { ...good, h: '::1' }, 'bad-param', /brackets/],
    ['an over-long host', { ...good, h: `${'a'.repeat(63)}.`.repeat(5) }, 'bad-param', /too long|at most 253/],
    ['port 0', { ...good, p: '0' }, 'bad-param', /1 to 65535/],
    ['port 70000', { ...good, p: '70000' }, 'bad-param', /1 to 65535/],
    ['a port with junk', { ...good, p: '9000x' }, 'bad-param', /1 to 65535/],
    ['a relative path', { ...good, pt: 'whatnext' }, 'bad-param', /starts with "\/"/],
    ['a path with ..', { ...good, pt: '/a/../b' }, 'bad-param', /broker path/],
    ['a key that would inject a query parameter', { ...good, k: 'x&id=other' }, 'bad-param', /broker key/],
    ['a secure flag other than 0/1', { ...good, s: 'yes' }, 'bad-param', /secure flag/],
    ['a handshake nonce of the wrong length', { ...good, hn: 'AAECAwQF' }, 'bad-param', /handshake nonce \(hn=\).*16 bytes/],
    ['an empty handshake nonce', { ...good, hn: '' }, 'missing-param', /handshake nonce/],
  ];
  for (const [what, params, reason, message] of bad) {
    it(`refuses ${what}`, () => {
      const error = refusal(params);
      expect(error.reason).toBe(reason);
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/PeerJS link/);
    });
  }

  it('names every parameter it documents', () => {
    expect(Object.values(PARAM).sort()).toEqual(['h', 'hn', 'id', 'k', 'p', 'pt', 's']);
  });
});

describe('broker path', () => {
  // The pattern before issue 12: right, but it backtracks exponentially on a long run of
  // segment characters followed by one it refuses.
  // oxlint-disable-next-line regexp/no-super-linear-backtracking -- the faulty pattern itself, to compare against
  const BACKTRACKING = /^\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*\/?)*$/;

  it('accepts exactly what the backtracking pattern accepted (strings short enough for it)', () => {
    const char = fc.constantFrom('/', '.', 'a', 'Z', '0', '_', '~', '-', '!', ' ', '%');
    fc.assert(
      fc.property(fc.string({ unit: char, maxLength: 14 }), (path) => {
        expect(BrokerPath.safeParse(path).success).toBe(BACKTRACKING.test(path));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses the freezing path of issue 12 at once, and a long one before any pattern runs', () => {
    const frozen = `/${'a'.repeat(120)}!`;
    expect(BrokerPath.safeParse(frozen).error?.issues.map((i) => i.message)).toEqual([expect.stringContaining('a broker path starts with "/"')]);
    // Over the length bound, the length is the only complaint: the pattern never ran.
    expect(BrokerPath.safeParse(`/${'a'.repeat(4000)}!`).error?.issues.map((i) => i.message)).toEqual(['a broker path is at most 128 characters']);
  });
});

describe('peerjs options', () => {
  it("has development defaults: a loopback broker (the ICE servers are the webrtc plugin's, none by default)", () => {
    expect(PeerjsOptions.parse(undefined)).toEqual({
      host: '127.0.0.1',
      port: 9000,
      path: '/whatnext',
      key: 'peerjs',
      secure: false,
      listen: true,
      maxFrameSize: 65536,
      lowWaterMark: 262144,
    });
  });

  it('loads in the host: options schema published, links resolved through the hook, bad links tagged', async () => {
    const host = new PluginHost({ plugins: [webrtc(), peerjs({ port: 9999, listen: false })], local: { id: ID, name: 'Host' } });
    await host.start();
    try {
      const status = host.plugins().find((p) => p.name === 'peerjs');
      expect(status).toMatchObject({ name: 'peerjs', state: 'active', signaling: ['peerjs'], dependencies: ['webrtc'] });
      expect(status!.optionsSchema).toMatchObject({ properties: { host: { type: 'string' }, port: { type: 'integer' } } });
      const link = parseLink(`whtnxt://connect?v=1&via=peerjs&${new URLSearchParams(good)}`);
      expect(host.hooks.resolveLink.for('peerjs').call(link)).toMatchObject({ method: 'peerjs', remote: { id: ID } });
      const error = (() => {
        try {
          host.hooks.resolveLink.for('peerjs').call({ ...link, params: { ...link.params, p: '0' } });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(PluginError);
      expect((error as PluginError).cause).toBeInstanceOf(LinkError);
    } finally {
      await host.stop();
    }
  });

  it('refuses bad options at start, naming the plugin and the field', async () => {
    const host = new PluginHost({ plugins: [webrtc(), peerjs({ host: 'not a host' })], local: { id: ID, name: 'Host' } });
    const errors: string[] = [];
    host.on('plugin-error', (e) => errors.push(e.error.message));
    await host.start();
    expect(errors[0]).toMatch(/\[plugin peerjs\] has invalid options/);
    expect(errors[0]).toMatch(/host/);
    await host.stop();
  });
});
