/**
 * Short manual codes: the same invite and reply as codes.ts, in a binary form of about 180
 * characters, when the transport has a compact form of its signal (`Transport.signalCodec`).
 *
 *   invite  wno2.<base64url>   tag 8 | inviter id 17 | nonce 16 | expiry 4 | name | signal | crc 4
 *   reply   wna2.<base64url>   tag 8 | answerer id 17 | nonce 16 | name | signal | crc 4
 *
 * - tag: the first 8 bytes of the invite token. The token is the inviter's, and the answerer
 *   only sends it back, so a part is enough to tell which invite a reply answers.
 * - id: the peer id's 26 characters as one base-36 number; nonce: the handshake nonce's bytes.
 * - name: a length byte and UTF-8, cut to NAME_BYTES (with "…"): the handshake brings the
 *   whole name once connected.
 * - signal: the transport's compact bytes, to the checksum.
 * - crc: CRC-32 of the prefix and everything before it, so any changed character or cut-off
 *   end is refused, and an invite's bytes cannot pass for a reply's.
 */
import { crc32 } from 'node:zlib';
import { DisplayName, HandshakeNonce, LinkError, PeerId } from '@whatnext/core';

export const SHORT_INVITE_PREFIX = 'wno2.';
export const SHORT_REPLY_PREFIX = 'wna2.';
const TAG_BYTES = 8;
const ID_BYTES = 17;
const NONCE_BYTES = 16;
const NAME_BYTES = 24;
const CRC_BYTES = 4;
/** No compact signal is near this; it bounds what a pasted code makes us decode. */
export const MAX_SHORT_CODE_LENGTH = 1000;
/** The largest compact signal a short code takes: its code then stays within the length above. */
const MAX_SIGNAL_BYTES =
  Math.floor(((MAX_SHORT_CODE_LENGTH - SHORT_INVITE_PREFIX.length) * 3) / 4) - (TAG_BYTES + ID_BYTES + NONCE_BYTES + 4 + 1 + NAME_BYTES + CRC_BYTES);

export interface ShortCode {
  /** The invite token's tag (base64url), as `t` of the long codes. */
  t: string;
  i: string;
  n: string;
  h: string;
  /** Expiry (s since the epoch): invites only. */
  x?: number;
  signal: Uint8Array;
}

/** The tag of an invite token: what a short code carries of it. Undefined for a token that is
 * not 16 bytes of base64url (core's kind), which then goes in a long code. */
export function tokenTag(token: string): string | undefined {
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== 16 || bytes.toString('base64url') !== token) return undefined;
  return bytes.subarray(0, TAG_BYTES).toString('base64url');
}

/** The short code, or undefined when something does not fit it (a token of another kind, a
 * compact signal that is empty or too large for a short code). */
export function encodeShort(kind: 'invite' | 'reply', code: ShortCode): string | undefined {
  const tag = Buffer.from(code.t, 'base64url');
  if (tag.length !== TAG_BYTES || tag.toString('base64url') !== code.t || !PeerId.safeParse(code.i).success || !HandshakeNonce.safeParse(code.h).success) {
    return undefined;
  }
  if (code.signal.length === 0 || code.signal.length > MAX_SIGNAL_BYTES) return undefined;
  const expiry = Buffer.alloc(kind === 'invite' ? 4 : 0);
  if (kind === 'invite') expiry.writeUInt32BE(code.x ?? 0);
  const name = Buffer.from(cutName(code.n));
  const prefix = kind === 'invite' ? SHORT_INVITE_PREFIX : SHORT_REPLY_PREFIX;
  const body = Buffer.concat([tag, idBytes(code.i), Buffer.from(code.h, 'base64url'), expiry, Buffer.from([name.length]), name, code.signal]);
  const crc = Buffer.alloc(CRC_BYTES);
  crc.writeUInt32BE(crc32(body, crc32(prefix)));
  return prefix + Buffer.concat([body, crc]).toString('base64url');
}

/** Read a short code (its prefix checked by the caller); a `LinkError` says what is wrong. */
export function decodeShort(kind: 'invite' | 'reply', code: string): ShortCode {
  const prefix = kind === 'invite' ? SHORT_INVITE_PREFIX : SHORT_REPLY_PREFIX;
  if (code.length > MAX_SHORT_CODE_LENGTH) {
    throw new LinkError('too-long', `This ${kind} code is ${code.length} characters long; short codes are at most ${MAX_SHORT_CODE_LENGTH}.`);
  }
  const text = code.slice(prefix.length);
  const damaged = () => new LinkError('corrupted', `This ${kind} code is damaged or incomplete; copy the whole code again.`);
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new LinkError('corrupted', `This ${kind} code contains characters a code never has; copy it again.`);
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text || bytes.length < CRC_BYTES) throw damaged();
  const body = bytes.subarray(0, bytes.length - CRC_BYTES);
  if (crc32(body, crc32(prefix)) !== bytes.readUInt32BE(bytes.length - CRC_BYTES)) throw damaged();

  // The checksum matched: what follows was made by an encoder, bounds are checked all the same.
  let at = 0;
  const take = (count: number) => {
    if (at + count > body.length) throw damaged();
    at += count;
    return body.subarray(at - count, at);
  };
  const t = take(TAG_BYTES).toString('base64url');
  const i = idText(take(ID_BYTES));
  const h = take(NONCE_BYTES).toString('base64url');
  const x = kind === 'invite' ? take(4).readUInt32BE() : undefined;
  const name = DisplayName.safeParse(take(take(1)[0]!).toString('utf8'));
  const signal = Uint8Array.from(body.subarray(at));
  if (i === undefined || !name.success || signal.length === 0 || x === 0) {
    throw new LinkError('corrupted', `This ${kind} code does not hold what ${kind === 'invite' ? 'an' : 'a'} ${kind} code holds.`);
  }
  return { t, i, n: name.data, h, ...(x === undefined ? {} : { x }), signal };
}

/** The name as a short code carries it: at most NAME_BYTES of UTF-8, cut between characters. */
function cutName(name: string): string {
  if (Buffer.byteLength(name) <= NAME_BYTES) return name;
  let cut = '';
  for (const char of name) {
    if (Buffer.byteLength(cut + char + '…') > NAME_BYTES) break;
    cut += char;
  }
  return cut.trimEnd() + '…';
}

function idBytes(id: string): Buffer {
  let value = 0n;
  for (const char of id) value = value * 36n + BigInt(parseInt(char, 36));
  return Buffer.from(value.toString(16).padStart(ID_BYTES * 2, '0'), 'hex');
}

/** The peer id back, or undefined when the number is beyond 26 base-36 digits. */
function idText(bytes: Uint8Array): string | undefined {
  const text = BigInt('0x' + Buffer.from(bytes).toString('hex'))
    .toString(36)
    .padStart(26, '0');
  return text.length === 26 ? text : undefined;
}
