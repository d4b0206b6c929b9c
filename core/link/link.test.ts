import { afterAll, describe, expect, it } from 'vitest';
import { LinkError, WhatNextError } from '../errors';
import { LINK_MAX_LENGTH, LinkErrorReason, encodeLink, parseLink, type ParsedLink } from './index';

const BASE = 'whtnxt://connect?v=1&via=manual';
const TOKEN = 'abcDEF12_-';

/** Runs `fn`, expects a LinkError, returns it. */
function refusal(fn: () => unknown): LinkError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LinkError);
    return error as LinkError;
  }
  throw new Error('expected a LinkError, nothing was thrown');
}

// Every reason must be exercised by at least one example below (checked in afterAll).
const seen = new Set<string>();
function expectReason(fn: () => unknown, reason: LinkErrorReason): LinkError {
  const error = refusal(fn);
  expect(error.reason).toBe(reason);
  expect(error.code).toBe('link_invalid');
  expect(error).toBeInstanceOf(WhatNextError);
  expect(error.message).toMatch(/^[A-Z"].*\.$/); // a sentence for a person
  seen.add(reason);
  return error;
}
afterAll(() => {
  expect([...seen].sort()).toEqual([...LinkErrorReason.options].sort());
});

describe('parseLink accepts', () => {
  it('a full link', () => {
    expect(parseLink(`${BASE}&n=Ana%20%F0%9F%8E%B5&t=${TOKEN}&offer=a%3Db%26c&room=x+y`)).toStrictEqual({
      version: 1,
      via: 'manual',
      name: 'Ana 🎵',
      token: TOKEN,
      params: { offer: 'a=b&c', room: 'x y' },
    });
  });

  it('the minimal link', () => {
    expect(parseLink(BASE)).toStrictEqual({ version: 1, via: 'manual', params: {} });
  });

  it.each([
    'whtnxt://connect?v=1&via=manual',
    'whtnxt://connect/?v=1&via=manual',
    'whtnxt:connect?v=1&via=manual',
    'WHTNXT://CONNECT?v=1&via=manual',
    '  whtnxt://connect?v=1&via=manual\n', // pasted with surrounding whitespace
    'whtnxt://connect?v=1&via=manual&', // stray separator
  ])('the spelling %j', (input) => {
    expect(parseLink(input)).toStrictEqual({ version: 1, via: 'manual', params: {} });
  });

  it('the dev scheme only when the caller allows it', () => {
    const dev = 'whtnxt-dev://connect?v=1&via=peerjs&peer=abc';
    expect(parseLink(dev, { schemes: ['whtnxt', 'whtnxt-dev'] }).params).toEqual({ peer: 'abc' });
    expectReason(() => parseLink(dev), 'wrong-scheme');
  });

  it('a name with surrounding spaces, trimmed', () => {
    expect(parseLink(`${BASE}&n=++Ana++`).name).toBe('Ana');
  });

  it('a link of exactly the maximum length', () => {
    const prefix = `${BASE}&x=`;
    const input = prefix + 'a'.repeat(LINK_MAX_LENGTH - prefix.length);
    expect(input).toHaveLength(LINK_MAX_LENGTH);
    expect(parseLink(input).params['x']).toHaveLength(LINK_MAX_LENGTH - prefix.length);
  });

  it('32 method parameters', () => {
    const params = Array.from({ length: 32 }, (_, i) => `p${i}=${i}`).join('&');
    expect(Object.keys(parseLink(`${BASE}&${params}`).params)).toHaveLength(32);
  });
});

describe('parseLink refuses', () => {
  it('a link over the limit, before parsing, with its length in the message', () => {
    const input = `${BASE}&x=`.padEnd(9000, 'a');
    const error = expectReason(() => parseLink(input), 'too-long');
    expect(error.message).toBe('This link is 9000 characters long; links are limited to 8192.');
    // Not even a URL: the length check comes first.
    expectReason(() => parseLink('x'.repeat(LINK_MAX_LENGTH + 1)), 'too-long');
  });

  it.each<[LinkErrorReason, string]>([
    ['not-a-url', ''],
    ['not-a-url', 'hello there'],
    ['not-a-url', 'connect?v=1&via=manual'],
    ['not-a-url', '://connect?v=1'],
    ['wrong-scheme', 'https://connect?v=1&via=manual'],
    ['wrong-scheme', 'javascript:alert(1)'],
    ['wrong-scheme', 'whtnxtx://connect?v=1&via=manual'],
    ['unexpected-part', 'whtnxt://user:pw@connect?v=1&via=manual'],
    ['unexpected-part', 'whtnxt://user@connect?v=1&via=manual'],
    ['unexpected-part', 'whtnxt://connect:8080?v=1&via=manual'],
    ['unexpected-part', 'whtnxt://connect?v=1&via=manual#x'],
    ['unexpected-part', 'whtnxt://connect?v=1&via=manual#'],
    ['wrong-action', 'whtnxt://join?v=1&via=manual'],
    ['wrong-action', 'whtnxt://connect/more?v=1&via=manual'],
    ['wrong-action', 'whtnxt:///connect?v=1&via=manual'],
    ['wrong-action', 'whtnxt:/connect?v=1&via=manual'],
    ['wrong-action', 'whtnxt://?v=1&via=manual'],
    ['missing-version', 'whtnxt://connect'],
    ['missing-version', 'whtnxt://connect?via=manual'],
    ['bad-version', 'whtnxt://connect?v=&via=manual'],
    ['bad-version', 'whtnxt://connect?v=one&via=manual'],
    ['bad-version', 'whtnxt://connect?v=01&via=manual'],
    ['bad-version', 'whtnxt://connect?v=1.0&via=manual'],
    ['bad-version', 'whtnxt://connect?v=-1&via=manual'],
    ['unsupported-version', 'whtnxt://connect?v=2&via=manual'],
    ['missing-method', 'whtnxt://connect?v=1'],
    ['missing-method', 'whtnxt://connect?v=1&via='],
    ['bad-method', 'whtnxt://connect?v=1&via=Manual'],
    ['bad-method', 'whtnxt://connect?v=1&via=1manual'],
    ['bad-method', 'whtnxt://connect?v=1&via=man%20ual'],
    ['bad-method', `whtnxt://connect?v=1&via=${'m'.repeat(33)}`],
    ['bad-name', `${BASE}&n=`],
    ['bad-name', `${BASE}&n=+++`],
    ['bad-name', `${BASE}&n=${'a'.repeat(65)}`],
    ['bad-name', `${BASE}&n=a%07b`],
    ['bad-name', `${BASE}&n=a%0Ab`],
    ['bad-token', `${BASE}&t=`],
    ['bad-token', `${BASE}&t=short`],
    ['bad-token', `${BASE}&t=has+a+space`],
    ['bad-token', `${BASE}&t=${'a'.repeat(65)}`],
    ['bad-param', `${BASE}&Offer=x`],
    ['bad-param', `${BASE}&__proto__=x`],
    ['bad-param', `${BASE}&=x`],
    ['bad-param', `${BASE}&a-b=x`],
    ['bad-param', `${BASE}&${'k'.repeat(33)}=x`],
    ['duplicate-param', 'whtnxt://connect?v=1&v=1&via=manual'],
    ['duplicate-param', 'whtnxt://connect?v=1&via=manual&via=peerjs'],
    ['duplicate-param', `${BASE}&n=a&n=b`],
    ['duplicate-param', `${BASE}&t=${TOKEN}&t=${TOKEN}`],
    ['duplicate-param', `${BASE}&x=1&x=1`],
    ['too-many-params', `${BASE}&${Array.from({ length: 33 }, (_, i) => `p${i}=`).join('&')}`],
  ])('%s: %j', (reason, input) => {
    expectReason(() => parseLink(input), reason);
  });

  it('a non-string from across a process boundary', () => {
    expectReason(() => parseLink(42 as unknown as string), 'not-a-url');
    expectReason(() => parseLink(undefined as unknown as string), 'not-a-url');
  });

  it('with messages a person understands', () => {
    expect(refusal(() => parseLink('https://example.com')).message).toBe('This is a "https" link, not a WhatNext link (whtnxt://).');
    expect(refusal(() => parseLink('whtnxt://connect?v=2&via=manual')).message).toBe(
      'This link uses format version 2; this WhatNext understands version 1. A newer WhatNext may open it.',
    );
    expect(refusal(() => parseLink(`${BASE}&x=1&x=2`)).message).toBe('This link sets "x" more than once.');
    expect(refusal(() => parseLink(`${BASE}&n=`)).message).toBe('The name in this link is not valid: a display name cannot be empty.');
  });

  it('with untrusted text in messages shortened and escaped', () => {
    const { message } = refusal(() => parseLink(`whtnxt://${'a'.repeat(300)}?v=1`));
    expect(message.length).toBeLessThan(150);
    expect(refusal(() => parseLink(`${BASE}&A%0Ab=1`)).message).toContain('"A\\nb"');
  });
});

describe('encodeLink', () => {
  const link: ParsedLink = {
    version: 1,
    via: 'manual',
    name: 'Ana & Bo 🎵',
    token: TOKEN,
    params: { offer: 'a=b&c%d', zeta: '', alpha: 'x y' },
  };

  it('produces the canonical form: v, via, n, t, then params in insertion order', () => {
    expect(encodeLink(link)).toBe('whtnxt://connect?v=1&via=manual&n=Ana+%26+Bo+%F0%9F%8E%B5&t=abcDEF12_-' + '&offer=a%3Db%26c%25d&zeta=&alpha=x+y');
  });

  it('round-trips and canonicalizes a reordered link', () => {
    expect(parseLink(encodeLink(link))).toStrictEqual(link);
    const shuffled = `whtnxt://connect/?offer=a%3Db%26c%25d&t=${TOKEN}&zeta&alpha=x%20y&via=manual&n=Ana%20%26%20Bo%20%F0%9F%8E%B5&v=1`;
    expect(encodeLink(parseLink(shuffled))).toBe(encodeLink(link));
  });

  it('omits absent name and token, trims the name, and takes a scheme', () => {
    expect(encodeLink({ version: 1, via: 'peerjs', params: { peer: 'p1' } }, { scheme: 'whtnxt-dev' })).toBe('whtnxt-dev://connect?v=1&via=peerjs&peer=p1');
    expect(encodeLink({ version: 1, via: 'x', name: '  Ana ', params: {} })).toBe('whtnxt://connect?v=1&via=x&n=Ana');
  });

  const valid: ParsedLink = { version: 1, via: 'manual', params: {} };
  it.each<[LinkErrorReason, unknown]>([
    ['unsupported-version', { ...valid, version: 2 }],
    ['missing-method', { version: 1, params: {} }],
    ['bad-method', { ...valid, via: 'Bad Method' }],
    ['bad-name', { ...valid, name: '' }],
    ['bad-name', { ...valid, name: 'a\u0000b' }],
    ['bad-name', { ...valid, name: 'a\uD800' }],
    ['bad-token', { ...valid, token: 'short' }],
    ['bad-param', { ...valid, params: { via: 'peerjs' } }],
    ['bad-param', { ...valid, params: { n: 'x' } }],
    ['bad-param', { ...valid, params: { 'Bad Key': 'x' } }],
    ['bad-param', { ...valid, params: { x: 1 } }],
    ['bad-param', { ...valid, params: { x: 'lone \uDC00 surrogate' } }],
    ['bad-param', { ...valid, params: null }],
    ['too-many-params', { ...valid, params: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`p${i}`, ''])) }],
    ['too-long', { ...valid, params: { x: 'a'.repeat(LINK_MAX_LENGTH) } }],
    ['too-long', { ...valid, params: { x: '&'.repeat(3000) } }], // short input, 9000 once encoded
    ['not-a-url', null],
  ])('refuses %s: %j', (reason, input) => {
    expectReason(() => encodeLink(input as ParsedLink), reason);
  });

  it('refuses an invalid scheme', () => {
    expectReason(() => encodeLink(valid, { scheme: 'https://evil' }), 'wrong-scheme');
    expectReason(() => encodeLink(valid, { scheme: '' }), 'wrong-scheme');
  });

  it('reports the encoded length when too long', () => {
    const prefixLength = 'whtnxt://connect?v=1&via=manual&x='.length;
    expect(refusal(() => encodeLink({ ...valid, params: { x: '&'.repeat(3000) } })).message).toBe(
      `This link would be ${prefixLength + 9000} characters long; links are limited to 8192.`,
    );
  });
});
