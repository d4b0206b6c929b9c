import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, randomBytes, toBase64Url } from './ids';

describe('base64url', () => {
  it('encodes as Node does, and decodes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromBase64Url(text)).toEqual(bytes);
      }),
    );
  });

  it('refuses anything that is not canonical base64url', () => {
    for (const text of ['A', 'AAAAA', 'AB', 'AAB', 'AA==', 'A+8', 'A/8', 'AA A', 'é'.repeat(4)]) {
      expect(fromBase64Url(text), text).toBeUndefined();
    }
    // Text in the alphabet that Node would decode leniently (stray bits in the last character)
    // is refused: whatever decodes, re-encodes to itself.
    let refused = 0;
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/), (text) => {
        const decoded = fromBase64Url(text);
        if (decoded) expect(toBase64Url(decoded)).toBe(text);
        else refused++;
        expect(decoded === undefined).toBe(text.length % 4 === 1 || Buffer.from(text, 'base64url').toString('base64url') !== text);
      }),
    );
    expect(refused).toBeGreaterThan(0);
  });
});

describe('randomBytes', () => {
  it('hands out each random byte once, across refills of its pool and beyond its size', () => {
    const seen = new Set<string>();
    const sizes = [16, 1, 7, 1023, 16, 2048, 32];
    for (let round = 0; round < 200; round++) {
      for (const size of sizes) {
        const bytes = randomBytes(size);
        expect(bytes).toHaveLength(size);
        if (size >= 16) seen.add(Buffer.from(bytes).toString('hex'));
      }
    }
    // 128 bits or more each: any repeat means bytes were handed out twice.
    expect(seen.size).toBe(200 * sizes.filter((size) => size >= 16).length);
    // Not zeroed or constant: 512 random bytes take about 220 distinct values.
    expect(new Set(randomBytes(512)).size).toBeGreaterThan(150);
  });
});
