import { describe, expect, it } from 'vitest';
import { BYTES_TAG, decodeWire, encodeWire } from './wire';

describe('the browser shell wire format', () => {
  it('carries bytes through JSON text', () => {
    const message = { type: 'event', event: 'connection.message', data: { message: new Uint8Array([0, 1, 254, 255]), nested: [{ b: new Uint8Array(0) }] } };
    const text = encodeWire(message);
    expect(typeof text).toBe('string');
    expect(decodeWire(text)).toEqual(message);
  });

  it('leaves ordinary JSON alone, including objects that merely contain the tag', () => {
    const json = { a: 1, list: ['x', null, true], odd: { [BYTES_TAG]: 'AA==', other: 1 } };
    expect(decodeWire(encodeWire(json))).toEqual(json);
  });

  it('carries a large byte array', () => {
    const bytes = new Uint8Array(70_000).map((_, i) => i % 251);
    expect(decodeWire(encodeWire({ bytes }))).toEqual({ bytes });
  });
});
