import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinkError } from '../errors';
import { LINK_MAX_LENGTH, LinkErrorReason, LinkName, LinkParamKey, ParsedLink, encodeLink, parseLink } from './index';

// Characters that stress the query encoding, mixed with arbitrary unicode (incl. astral).
// Each unit is one code point (at most 12 characters once percent-encoded), which keeps the
// size bound below exact.
const tricky = fc.constantFrom('&', '=', '%', '+', ' ', '#', '?', '/', ':', '@', '😀', '👩', '\u200d', 'é', '\u200b', '\u202e');
const unit = fc.oneof(tricky, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
const text = (maxLength: number) => fc.string({ unit, maxLength });

// Valid names are those the schema accepts unchanged (DisplayName trims).
const name = text(24).filter((s) => LinkName.safeParse(s).data === s);
const paramKey = fc.stringMatching(/^[a-z][a-z0-9_]{0,31}$/).filter((k) => LinkParamKey.safeParse(k).success);

// Sized so that the encoded link always fits the limit: at most
// 32 params * (32 + 2 + 12 * 12) + name 24 * 12 + token, method and prefix < 6200 characters.
const validLink: fc.Arbitrary<ParsedLink> = fc.record(
  {
    version: fc.constant(1 as const),
    via: fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/),
    name,
    token: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
    params: fc.dictionary(paramKey, text(12), { maxKeys: 32, noNullPrototype: true }),
  },
  // Plain prototypes, like parseLink's output, so toStrictEqual compares contents only.
  { requiredKeys: ['version', 'via', 'params'], noNullPrototype: true },
);
const scheme = fc.constantFrom('whtnxt', 'whtnxt-dev');
const schemes = ['whtnxt', 'whtnxt-dev'] as const;

/** Parsing either returns a schema-valid link or throws a LinkError with a known reason. */
function parseSafely(input: string): void {
  try {
    expect(ParsedLink.safeParse(parseLink(input, { schemes })).success).toBe(true);
  } catch (error) {
    if (!(error instanceof LinkError)) throw error;
    expect(LinkErrorReason.options).toContain(error.reason);
  }
}

describe('link codec properties', () => {
  it('the generator yields schema-valid links', () => {
    fc.assert(
      fc.property(validLink, (link) => {
        expect(ParsedLink.parse(link)).toStrictEqual(link);
      }),
    );
  });

  it('parse(encode(x)) deep-equals x', () => {
    fc.assert(
      fc.property(validLink, scheme, (link, s) => {
        expect(parseLink(encodeLink(link, { scheme: s }), { schemes })).toStrictEqual(link);
      }),
      { numRuns: 500 },
    );
  });

  it('encode(parse(s)) is a fixed point for encoded links', () => {
    fc.assert(
      fc.property(validLink, scheme, (link, s) => {
        const encoded = encodeLink(link, { scheme: s });
        expect(encodeLink(parseLink(encoded, { schemes }), { scheme: s })).toBe(encoded);
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary strings throw nothing but LinkError', () => {
    const prefix = fc.constantFrom('', 'whtnxt:', 'whtnxt://', 'whtnxt://connect', 'whtnxt://connect?', 'whtnxt://connect?v=1&via=manual&');
    fc.assert(
      fc.property(prefix, fc.string({ unit: 'binary', maxLength: 200 }), (p, s) => parseSafely(p + s)),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(prefix, fc.string({ unit, maxLength: 200 }), (p, s) => parseSafely(p + s)),
      { numRuns: 1000 },
    );
  });

  it('mutations of valid links throw nothing but LinkError', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit, minLength: 1, maxLength: 8 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.string({ unit, minLength: 1, maxLength: 1 }) }),
    );
    fc.assert(
      fc.property(validLink, scheme, fc.array(mutation, { minLength: 1, maxLength: 4 }), (link, s, mutations) => {
        let input = encodeLink(link, { scheme: s });
        for (const m of mutations) {
          const at = m.at % (input.length + 1);
          if (m.kind === 'truncate') input = input.slice(0, at);
          else if (m.kind === 'insert') input = input.slice(0, at) + m.text + input.slice(at);
          else if (m.kind === 'delete') input = input.slice(0, at) + input.slice(at + m.length);
          else input = input.slice(0, at) + m.text + input.slice(at + 1);
        }
        parseSafely(input);
      }),
      { numRuns: 1000 },
    );
  });

  it('anything over the limit is refused as too-long', () => {
    fc.assert(
      fc.property(validLink, fc.string({ unit, maxLength: 50 }), fc.integer({ min: LINK_MAX_LENGTH + 1, max: 3 * LINK_MAX_LENGTH }), (link, filler, length) => {
        const input = (encodeLink(link) + filler).padEnd(length, filler || 'a');
        expect(() => parseLink(input)).toThrow(expect.objectContaining({ reason: 'too-long' }));
      }),
      { numRuns: 200 },
    );
  });

  it('encoding never emits a link over the limit', () => {
    const big = fc.dictionary(paramKey, fc.string({ unit, maxLength: 600 }), { maxKeys: 32, noNullPrototype: true });
    fc.assert(
      fc.property(validLink, big, (link, params) => {
        try {
          expect(encodeLink({ ...link, params }).length).toBeLessThanOrEqual(LINK_MAX_LENGTH);
        } catch (error) {
          expect(error).toBeInstanceOf(LinkError);
          expect((error as LinkError).reason).toBe('too-long');
        }
      }),
      { numRuns: 200 },
    );
  });
});
