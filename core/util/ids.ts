/** Random identifiers from the platform's CSPRNG (Node ≥ 20 and browsers both have it). */
const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';

/** 26 base32 characters from 128 random bits: the shape of a `PeerId`. */
export function randomBase32(bytes = 16): string {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
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
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  let binary = '';
  for (const byte of data) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
