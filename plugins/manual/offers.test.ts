/** Invites that offer several transports (wno3) and replies that name the one taken (wna3), next
 * to the older forms they must stay readable beside. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { refusalReason } from './testing/refusal';
import { LinkError } from '@whatnext/core';
import { INVITE_PREFIX, REPLY_PREFIX, pack } from './codes';
import { OFFERS_INVITE_PREFIX, OFFERS_REPLY_PREFIX } from './codes';
import { LEGACY_TRANSPORT, readInvite, readReply, writeInvite, writeReply } from './offers';
import { SHORT_INVITE_PREFIX } from './short-codes';

const head = { t: 'tok_abcdefgh1234', i: '0123456789abcdefghijklmnop', n: 'Alice', x: 2_000_000_000, h: 'DwsLCwsLCwsLCwsLCwsLCw' };
const replyHead = { t: head.t, i: 'zyxwvutsrqponmlkjihgfedcba', n: 'Bob', h: 'AAsLCwsLCwsLCwsLCwsLCw' };
const tcp = { transport: 'example-tcp', signal: { type: 'offer', host: '127.0.0.1', port: 40123, nonce: 'a'.repeat(32) } };
const webrtc = { transport: 'simple-peer', signal: { type: 'offer', sdp: 'v=0…' }, compact: new Uint8Array([1, 2, 3, 250]) };
const reason = refusalReason;

describe('invites that offer several transports', () => {
  it('carry each offer in order, compact where the transport has a compact form, and read back', () => {
    const code = writeInvite(head, [webrtc, tcp], true);
    expect(code.startsWith(OFFERS_INVITE_PREFIX)).toBe(true);
    const read = readInvite(code);
    expect(read).toMatchObject({ ...head, legacy: false, short: false });
    expect(read.offers).toEqual([
      { transport: 'simple-peer', signal: { compact: webrtc.compact } },
      { transport: 'example-tcp', signal: { full: tcp.signal } },
    ]);

    const reply = writeReply(replyHead, read, { transport: 'example-tcp', signal: { type: 'answer' } });
    expect(reply.startsWith(OFFERS_REPLY_PREFIX)).toBe(true);
    expect(readReply(reply)).toEqual({ ...replyHead, transport: 'example-tcp', signal: { full: { type: 'answer' } } });
  });

  it('an invite of simple-peer alone keeps the older forms (short, or long without short codes), and so does its reply', () => {
    const short = writeInvite(head, [webrtc], true);
    expect(short.startsWith(SHORT_INVITE_PREFIX) || short.startsWith(INVITE_PREFIX)).toBe(true);
    const long = writeInvite(head, [webrtc], false);
    expect(long.startsWith(INVITE_PREFIX)).toBe(true);
    const read = readInvite(long);
    expect(read).toMatchObject({ legacy: true, offers: [{ transport: LEGACY_TRANSPORT, signal: { full: webrtc.signal } }] });
    const reply = writeReply(replyHead, read, { transport: LEGACY_TRANSPORT, signal: { type: 'answer' } });
    expect(reply.startsWith(REPLY_PREFIX)).toBe(true);
    expect(readReply(reply)).toMatchObject({ transport: LEGACY_TRANSPORT, signal: { full: { type: 'answer' } } });
    // One transport other than simple-peer is named: a reader must know which it is.
    expect(writeInvite(head, [tcp], true).startsWith(OFFERS_INVITE_PREFIX)).toBe(true);
  });

  it('refuses what is not an offer: a transport twice, too many or none, a bad name, a field it does not know, a reply for an invite', () => {
    const offer = { p: 'example-tcp', s: tcp.signal };
    const invalid = [
      { ...head, o: [offer, offer] },
      { ...head, o: [1, 2, 3, 4, 5].map((n) => ({ p: `t${n}`, s: {} })) },
      { ...head, o: [] },
      { ...head, o: [{ p: '../etc', s: {} }] },
      { ...head, o: [{ p: 'tcp', s: {}, c: 'AAAA' }] },
      { ...head, o: [offer], extra: true },
    ];
    for (const payload of invalid) expect(reason(() => readInvite(OFFERS_INVITE_PREFIX + pack(payload)))).toBe('corrupted');
    const taken = { ...replyHead, p: 'example-tcp', s: {} };
    expect(readReply(OFFERS_REPLY_PREFIX + pack(taken)).transport).toBe('example-tcp');
    for (const payload of [
      { ...taken, extra: 1 },
      { ...taken, c: 'AAAA' },
      { ...taken, p: '../x' },
      { t: taken.t, i: taken.i, n: taken.n, s: {} },
    ]) {
      expect(reason(() => readReply(OFFERS_REPLY_PREFIX + pack(payload)))).toBe('corrupted');
    }
    const reply = writeReply(replyHead, readInvite(writeInvite(head, [tcp, webrtc], true)), { transport: 'example-tcp', signal: {} });
    expect(reason(() => readInvite(reply))).toBe('wrong-code');
    expect(reason(() => readReply(writeInvite(head, [tcp, webrtc], true)))).toBe('wrong-code');
  });

  it('a changed character is caught, or changes nothing the code says (padding bits at the end of the compressed data)', () => {
    const code = writeInvite(head, [webrtc, tcp], true);
    const original = readInvite(code);
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(fc.integer({ min: OFFERS_INVITE_PREFIX.length, max: code.length - 1 }), fc.constantFrom(...chars), (at, char) => {
        fc.pre(code[at] !== char);
        const changed = code.slice(0, at) + char + code.slice(at + 1);
        let read;
        try {
          read = readInvite(changed);
        } catch (error) {
          expect(error).toBeInstanceOf(LinkError);
          expect((error as LinkError).reason).toBe('corrupted');
          return;
        }
        expect(read).toEqual(original);
      }),
      { numRuns: 500 },
    );
  });
});
