/** Random identifiers from the platform's CSPRNG (Node ≥ 20 and browsers both have it). */
const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';

/** Random bytes are cut from a pool the CSPRNG fills POOL_BYTES at a time: a cold call into the
 * CSPRNG costs far more than a cut (a connect needs a dozen ids and nonces, on the way to open).
 * Each byte is handed out once and wiped from the pool as it goes. (Node's own `randomUUID`
 * keeps such a pool too.) */
const POOL_BYTES = 1024;
let pool = new Uint8Array(0);
let used = 0;

/** `count` bytes from the platform's CSPRNG. */
export function secureRandomBytes(count: number): Uint8Array {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`cannot make ${count} random bytes`);
  if (count > POOL_BYTES) return crypto.getRandomValues(new Uint8Array(count));
  if (used + count > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    used = 0;
  }
  const out = pool.slice(used, used + count);
  pool.fill(0, used, used + count);
  used += count;
  return out;
}

/** 26 base32 characters from 128 random bits: the shape of a `PeerId`. */
export function randomBase32(bytes = 16): string {
  return base32(secureRandomBytes(bytes));
}

/** Lowercase base32 (no i, l, o, u), no padding: 16 bytes give 26 characters. */
export function base32(data: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/** URL-safe token of `bytes` random bytes (base64url, no padding). */
export function randomToken(bytes = 16): string {
  return toBase64Url(secureRandomBytes(bytes));
}

// base64url by table: nonces, keys and signatures are coded on every handshake, and atob/btoa
// through binary strings cost more than the crypto around them.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

export function toBase64Url(data: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < data.length; i += 3) {
    const n = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = data.length - i;
  if (rest > 0) {
    const n = (data[i]! << 16) | (rest === 2 ? data[i + 1]! << 8 : 0);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + (rest === 2 ? ALPHABET[(n >> 6) & 63]! : '');
  }
  return out;
}

/** Decode base64url; undefined for anything that is not canonical base64url (no padding, no
 * stray bits in the last character). */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? VALUES[code]! : -1;
    if (digit < 0) return undefined;
    value = ((value << 6) | digit) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return (value & ((1 << bits) - 1)) === 0 ? out : undefined;
}
