/**
 * How protocol messages travel over the browser shell's WebSocket: JSON text, with bytes
 * (`Uint8Array`, which JSON cannot carry) tagged as base64. Used on both ends, so it relies on
 * nothing but the web platform.
 */

/** The key a byte array is tagged with. Long and odd so an app message never means it by chance. */
export const BYTES_TAG = '$whatnext:bytes';

/**
 * Largest message, in UTF-8 bytes once encoded, that either end sends and the shell accepts. Room
 * for what the README promises, a 5 MiB app message, in any encoding it can take: bytes grow by a
 * third as base64, text with many non-ASCII characters up to three times.
 */
export const MAX_WIRE_MESSAGE = 16 * 1024 * 1024;

/** Why the encoded `text` cannot travel (too many UTF-8 bytes), or undefined if it can. */
export function wireLimitProblem(text: string): string | undefined {
  // Each UTF-16 unit is at most 3 UTF-8 bytes: most messages need no counting.
  if (text.length * 3 <= MAX_WIRE_MESSAGE) return undefined;
  const size = new TextEncoder().encode(text).byteLength;
  if (size <= MAX_WIRE_MESSAGE) return undefined;
  return `the message is ${mib(size)} once encoded; the browser shell carries at most ${mib(MAX_WIRE_MESSAGE)} per message`;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export function encodeWire(message: unknown): string {
  return JSON.stringify(message, (_key, value: unknown) => (value instanceof Uint8Array ? { [BYTES_TAG]: toBase64(value) } : value));
}

export function decodeWire(text: string): unknown {
  // A reviver visits every value (10,000 tracks are 100,000 calls): only text that has the tag,
  // as encodeWire writes it, needs one.
  if (!text.includes(`"${BYTES_TAG}"`)) return JSON.parse(text);
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const tagged = (value as Record<string, unknown>)[BYTES_TAG];
      if (typeof tagged === 'string' && Object.keys(value).length === 1) return fromBase64(tagged);
    }
    return value;
  });
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
