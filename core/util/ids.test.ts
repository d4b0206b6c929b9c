import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fromBase64Url, secureRandomBytes, toBase64Url } from './ids';

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

describe('secureRandomBytes', () => {
  afterEach(() => vi.restoreAllMocks());

  it('cuts its pool in order, each byte once, and refills it only when a cut would not fit', () => {
    // A stand-in CSPRNG counting up, with every fill kept, so each byte handed out is known.
    let counter = 0;
    const fills: Uint8Array[] = [];
    vi.spyOn(crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      const bytes = array as unknown as Uint8Array;
      for (let i = 0; i < bytes.length; i++) bytes[i] = counter++ & 0xff;
      fills.push(bytes.slice());
      return array;
    });
    secureRandomBytes(1024); // uses up whatever the pool held before the stand-in
    fills.length = 0;
    const sizes = [16, 1, 7, 1000, 16, 2048, 32, 0, 1023, 1];
    const out = sizes.map((size) => secureRandomBytes(size));
    // What the contract says: a 1 KiB pool cut front to back, refilled when the next cut does not
    // fit; a request larger than the pool is made on its own.
    const expected: Uint8Array[] = [];
    let pool: Uint8Array = new Uint8Array(0);
    let used = 0;
    let fill = 0;
    for (const size of sizes) {
      if (size > 1024) {
        expected.push(fills[fill++]!);
        continue;
      }
      if (used + size > pool.length) [pool, used] = [fills[fill++]!, 0];
      expected.push(pool.slice(used, (used += size)));
    }
    expect(out).toEqual(expected);
    expect(fills).toHaveLength(fill);
  });

  it('hands out no byte twice across refills (the real CSPRNG)', () => {
    const seen = new Set<string>();
    const sizes = [16, 1, 7, 1023, 16, 2048, 32];
    for (let round = 0; round < 200; round++) {
      for (const size of sizes) {
        const bytes = secureRandomBytes(size);
        expect(bytes).toHaveLength(size);
        if (size >= 16) seen.add(Buffer.from(bytes).toString('hex'));
      }
    }
    // 128 bits or more each: any repeat means bytes were handed out twice.
    expect(seen.size).toBe(200 * sizes.filter((size) => size >= 16).length);
    // Not zeroed or constant: 512 random bytes take about 220 distinct values.
    expect(new Set(secureRandomBytes(512)).size).toBeGreaterThan(150);
  });

  it('refuses a count that is not a whole, non-negative number, and leaves its pool as it was', () => {
    for (const count of [-4, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => secureRandomBytes(count), String(count)).toThrow(RangeError);
    }
    expect(secureRandomBytes(16).some((byte) => byte !== 0)).toBe(true);
  });
});
