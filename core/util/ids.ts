/** Random identifiers from the platform's CSPRNG (Node ≥ 20 and browsers both have it). */
const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';

/** 26 base32 characters from 128 random bits: the shape of a `PeerId`. */
export function randomBase32(bytes = 16): string {
  return base32(crypto.getRandomValues(new Uint8Array(bytes)));
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
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export function toBase64Url(data: Uint8Array): string {
  let binary = '';
  for (const byte of data) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decode base64url; undefined for anything that is not canonical base64url. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  let binary: string;
  try {
    binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  } catch {
    return undefined;
  }
  const data = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return toBase64Url(data) === text ? data : undefined;
}
