import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { refusalReason } from './testing/refusal';
import { LinkError } from '@whatnext/core';
import { compactDescription } from '../webrtc/compact-description';
import { answersInvite, decodeInvite, decodeReply, encodeInvite, encodeReply, INVITE_PREFIX, REPLY_PREFIX } from './codes';
import { SHORT_INVITE_PREFIX, SHORT_REPLY_PREFIX } from './short-codes';

// The shape of a real non-trickle data-channel offer (what @roamhq/wrtc produces on loopback).
const sdp = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=application 54321 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 127.0.0.1',
  'a=candidate:2999745851 1 udp 2122260223 127.0.0.1 54321 typ host generation 0 network-id 1',
  'a=candidate:1606961068 1 udp 2122194687 10.0.0.5 40111 typ host generation 0 network-id 2',
  'a=candidate:4233069003 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1',
  'a=ice-ufrag:Xk2l',
  'a=ice-pwd:0aG7sT4pQ9bVx1mZ3cN8dR2e',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 3C:4A:AA:2B:91:0F:77:1E:5D:C2:09:8B:6A:4F:12:E0:DD:35:7C:A1:90:5B:3E:62:48:F7:0C:9D:21:B6:83:5A',
  'a=setup:actpass',
  'a=mid:0',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
  '',
].join('\r\n');
const offer = { type: 'offer', sdp };
const invite = { t: 'tok_abcdefgh1234', i: '0123456789abcdefghijklmnop', n: 'Alice', x: 2_000_000_000, s: offer };
const reason = refusalReason;

describe('manual codes', () => {
  it('round-trip, URL-safe and smaller than the JSON they carry', () => {
    const code = encodeInvite(invite);
    expect(code.startsWith(INVITE_PREFIX)).toBe(true);
    expect(code).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(code.length).toBeLessThan(JSON.stringify(invite).length);
    expect(decodeInvite(code)).toEqual({ ...invite, s: { full: offer } });
    const reply = { t: invite.t, i: 'zyxwvutsrqponmlkjihgfedcba', n: 'Bob', s: { type: 'answer', sdp: 'v=0' } };
    expect(decodeReply(encodeReply(reply))).toEqual({ ...reply, s: { full: reply.s } });
    // With the handshake nonces (core's HandshakeAhead) each code grows by little.
    const withNonce = { ...invite, h: 'AAECAwQFBgcICQoLDA0ODw' };
    expect(decodeInvite(encodeInvite(withNonce))).toEqual({ ...withNonce, s: { full: offer } });
    expect(encodeInvite(withNonce).length - code.length).toBeLessThan(40);
    expect(decodeReply(encodeReply({ ...reply, h: 'DwsLCwsLCwsLCwsLCwsLCw' })).h).toBe('DwsLCwsLCwsLCwsLCwsLCw');
  });

  it('refuses a truncated code', () => {
    const code = encodeInvite(invite);
    for (const cut of [code.length - 1, code.length - 10, Math.floor(code.length / 2), INVITE_PREFIX.length + 3]) {
      expect(reason(() => decodeInvite(code.slice(0, cut)))).toBe('corrupted');
    }
  });

  it('refuses any single changed character (the checksum catches it)', () => {
    const code = encodeInvite(invite);
    fc.assert(
      fc.property(fc.integer({ min: INVITE_PREFIX.length, max: code.length - 1 }), fc.constantFrom(...'ABCxyz019_-'), (at, char) => {
        fc.pre(code[at] !== char);
        const damaged = code.slice(0, at) + char + code.slice(at + 1);
        expect(['corrupted']).toContain(reason(() => decodeInvite(damaged)));
      }),
      { numRuns: 300 },
    );
  });

  it('tells an invite from a reply and from anything else', () => {
    const reply = encodeReply({ t: invite.t, i: invite.i, n: 'Bob', s: offer });
    expect(reason(() => decodeReply(encodeInvite(invite)))).toBe('wrong-code');
    expect(reason(() => decodeInvite(reply))).toBe('wrong-code');
    expect(reason(() => decodeReply('hello'))).toBe('not-a-code');
    expect(reason(() => decodeReply(`${REPLY_PREFIX}abc def`))).toBe('corrupted');
    expect(reason(() => decodeReply(REPLY_PREFIX + 'A'.repeat(7000)))).toBe('too-long');
  });

  it('a small code cannot inflate into a large allocation', () => {
    const bomb = INVITE_PREFIX + deflateSync(Buffer.alloc(4 * 1024 * 1024, 32)).toString('base64url');
    expect(bomb.length).toBeLessThan(6000);
    expect(reason(() => decodeInvite(bomb))).toBe('corrupted');
  });

  it('refuses well-formed codes with the wrong content', () => {
    const pack = (value: unknown) => INVITE_PREFIX + deflateSync(Buffer.from(JSON.stringify(value))).toString('base64url');
    expect(reason(() => decodeInvite(pack({ ...invite, i: 'NOT-A-PEER-ID' })))).toBe('corrupted');
    expect(reason(() => decodeInvite(pack({ ...invite, extra: 1 })))).toBe('corrupted');
    expect(reason(() => decodeInvite(pack({ ...invite, h: 'short' })))).toBe('corrupted');
    expect(reason(() => decodeInvite(pack('just a string')))).toBe('corrupted');
    expect(() => decodeInvite(pack({ ...invite, i: 'NOT-A-PEER-ID' }))).toThrow(/does not hold what an invite code holds \(i:/);
  });

  it('refuses a code nested too deep to walk, before anything walks it', () => {
    // 20,000 levels in the signal: 40 KB of JSON, deflated to a short code; JSON.stringify (the
    // signal's size check) would run out of stack on it.
    const json = JSON.stringify({ ...invite, s: { a: 0 } }).replace('"a":0', `"a":${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    const code = INVITE_PREFIX + deflateSync(Buffer.from(json)).toString('base64url');
    expect(code.length).toBeLessThan(6000);
    expect(reason(() => decodeInvite(code))).toBe('corrupted');
    expect(() => decodeInvite(code)).toThrow('This invite code does not hold what an invite code holds (it nests deeper than 128 levels).');
  });

  it('random text never throws anything but LinkError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => INVITE_PREFIX + s),
          fc.base64String().map((s) => INVITE_PREFIX + s),
        ),
        (text) => {
          try {
            decodeInvite(text);
          } catch (error) {
            expect(error).toBeInstanceOf(LinkError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('short manual codes', () => {
  // Core's kind of token (16 random bytes) and nonces.
  const token = 'q83vEjRWeJCrze8SNFZ4kA';
  const short = { ...invite, t: token, n: 'Alexandra', h: 'AAECAwQFBgcICQoLDA0ODw' };
  const compact = compactDescription({ type: 'offer', sdp })!;
  const code = encodeInvite(short, compact);
  const replyCode = encodeReply({ t: decodeInvite(code).t, i: 'zyxwvutsrqponmlkjihgfedcba', n: 'Bob', s: offer, h: 'DwsLCwsLCwsLCwsLCwsLCw' }, compact);

  it('are made when the signal has a compact form, and come back with it', () => {
    expect(code.startsWith(SHORT_INVITE_PREFIX)).toBe(true);
    expect(replyCode.startsWith(SHORT_REPLY_PREFIX)).toBe(true);
    expect(code.length).toBeLessThanOrEqual(200);
    expect(replyCode.length).toBeLessThanOrEqual(200);
    const decoded = decodeInvite(code);
    expect(decoded).toMatchObject({ i: short.i, n: 'Alexandra', x: short.x, h: short.h, s: { compact } });
    const reply = decodeReply(replyCode);
    expect(reply).toMatchObject({ i: 'zyxwvutsrqponmlkjihgfedcba', n: 'Bob', h: 'DwsLCwsLCwsLCwsLCwsLCw', s: { compact } });
    // The reply names the invite by the token's tag, which only its inviter can match.
    expect(answersInvite(reply, token)).toBe(true);
    expect(answersInvite(reply, 'AAAAAAAAAAAAAAAAAAAAAA')).toBe(false);
  });

  it('are long when something does not fit: no compact form, no nonce, a token of another kind', () => {
    expect(encodeInvite(short).startsWith(INVITE_PREFIX)).toBe(true);
    expect(encodeInvite({ ...short, h: undefined }, compact).startsWith(INVITE_PREFIX)).toBe(true);
    expect(encodeInvite({ ...short, t: 'tok_abcdefgh1234' }, compact).startsWith(INVITE_PREFIX)).toBe(true);
    // A short reply to a long invite still names it.
    const reply = decodeReply(encodeReply({ t: token, i: short.i, n: 'Bob', s: offer, h: short.h }, compact));
    expect(answersInvite(reply, token)).toBe(true);
  });

  it('cut a long name between characters (the connection’s handshake carries the whole one)', () => {
    const name = 'Ǆemila Ünal-Øster 🎶 Karaoke';
    const decoded = decodeInvite(encodeInvite({ ...short, n: name }, compact));
    expect(decoded.n.endsWith('…')).toBe(true);
    expect(name.startsWith(decoded.n.slice(0, -1))).toBe(true);
    expect(Buffer.byteLength(decoded.n)).toBeLessThanOrEqual(24);
  });

  it('refuse any single changed character and any cut-off end (the CRC-32 catches it)', () => {
    for (const [text, decode] of [
      [code, decodeInvite],
      [replyCode, decodeReply],
    ] as const) {
      fc.assert(
        fc.property(fc.integer({ min: SHORT_INVITE_PREFIX.length, max: text.length - 1 }), fc.constantFrom(...'ABCxyz019_-'), (at, char) => {
          fc.pre(text[at] !== char);
          expect(reason(() => decode(text.slice(0, at) + char + text.slice(at + 1)))).toBe('corrupted');
        }),
      );
      for (let cut = SHORT_INVITE_PREFIX.length; cut < text.length; cut++) expect(reason(() => decode(text.slice(0, cut)))).toBe('corrupted');
    }
  });

  it('tell an invite from a reply, and an invite body behind a reply prefix fails its checksum', () => {
    expect(reason(() => decodeReply(code))).toBe('wrong-code');
    expect(reason(() => decodeInvite(replyCode))).toBe('wrong-code');
    expect(reason(() => decodeReply(SHORT_REPLY_PREFIX + code.slice(SHORT_INVITE_PREFIX.length)))).toBe('corrupted');
    expect(reason(() => decodeInvite(SHORT_INVITE_PREFIX + 'A'.repeat(2000)))).toBe('too-long');
  });
});
