import { z } from 'zod';

/** A peer id: 26 lowercase base32 characters (128 random bits). Safe in URLs, file names and
 * PeerJS ids. Untrusted everywhere it is received, so always parsed with this schema. */
export const PeerId = z.string().regex(/^[0-9a-z]{26}$/, 'a peer id is 26 lowercase letters or digits');
export type PeerId = z.infer<typeof PeerId>;

/** A display name: trimmed, 1 to 64 characters, no control characters. */
export const DisplayName = z
  .string()
  .trim()
  .min(1, 'a display name cannot be empty')
  .max(64, { abort: true, message: 'a display name is at most 64 characters' })
  .regex(/^[^\p{Cc}]*$/u, 'a display name cannot contain control characters')
  // Bidi overrides let a name display as something else ("Alice" spelt backwards, say).
  .regex(/^[^\u202A-\u202E\u2066-\u2069]*$/u, 'a display name cannot contain text-direction overrides');
export type DisplayName = z.infer<typeof DisplayName>;

export const PeerInfo = z.object({ id: PeerId, name: DisplayName });
export type PeerInfo = z.infer<typeof PeerInfo>;
