/**
 * Manual signaling codes: one complete signal (non-trickle SDP) per side, URL-safe, so they
 * survive chat apps and copy-paste. Two forms:
 *
 * - short (short-codes.ts), about 180 characters, when the transport has a compact form of its
 *   signal: made whenever it can be;
 * - long, compressed JSON, for any other signal:
 *
 *   invite code  wno1.<base64url(zlib(json))>   { t: token, i: inviter id, n: name, x: expiry (s), s: offer, h? }
 *   reply code   wna1.<base64url(zlib(json))>   { t: token, i: answerer id, n: name, s: answer, h? }
 *
 * `h`: the sender's handshake nonce (core's `HandshakeAhead`): each side's identity proof then
 * rides in its first frame, and the connection opens one trip sooner.
 *
 * zlib's Adler-32 catches corrupted long codes (CRC-32 short ones); lengths are bounded before
 * and after inflating (a small code cannot expand into a large allocation).
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { z } from 'zod';
import { DisplayName, HandshakeNonce, LinkError, PeerId, jsonShapeProblem } from '@whatnext/core';
import { decodeShort, encodeShort, SHORT_INVITE_PREFIX, SHORT_REPLY_PREFIX, tokenTag } from './short-codes';

export const INVITE_PREFIX = 'wno1.';
export const REPLY_PREFIX = 'wna1.';
/** Codes that name their transports (offers.ts): known here so that each kind refuses the other. */
export const OFFERS_INVITE_PREFIX = 'wno3.';
export const OFFERS_REPLY_PREFIX = 'wna3.';
const MAX_CODE_LENGTH = 6000;
const MAX_JSON_BYTES = 64 * 1024;

export const Token = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
/** The signal itself is the transport's business; here only its size is bounded. */
export const OpaqueSignal = z.record(z.string(), z.unknown()).refine((s) => JSON.stringify(s).length <= 32 * 1024, 'signal too large');

export const InvitePayload = z
  .object({ t: Token, i: PeerId, n: DisplayName, x: z.number().int().positive(), s: OpaqueSignal, h: HandshakeNonce.optional() })
  .strict();
export type InvitePayload = z.infer<typeof InvitePayload>;
export const ReplyPayload = z.object({ t: Token, i: PeerId, n: DisplayName, s: OpaqueSignal, h: HandshakeNonce.optional() }).strict();
export type ReplyPayload = z.infer<typeof ReplyPayload>;

/** The signal a code carried: as the transport made it, or its compact bytes (for the
 * transport's `signalCodec.expand`). */
export type CarriedSignal = { full: Record<string, unknown> } | { compact: Uint8Array };
export type Invite = Omit<InvitePayload, 's'> & { s: CarriedSignal };
export type Reply = Omit<ReplyPayload, 's'> & { s: CarriedSignal };

/** The invite's code: short when `compact` (the signal's compact form) is given and the rest
 * fits a short code, long otherwise. */
export function encodeInvite(payload: InvitePayload, compact?: Uint8Array): string {
  const parsed = InvitePayload.parse(payload);
  const tag = tokenTag(parsed.t);
  const short = compact && tag && parsed.h ? encodeShort('invite', { ...parsed, t: tag, h: parsed.h, signal: compact }) : undefined;
  return short ?? INVITE_PREFIX + pack(parsed);
}

/** The reply's code, short or long as for `encodeInvite`. Its `t` is the invite's, which a
 * short invite carries as the token's tag already. */
export function encodeReply(payload: ReplyPayload, compact?: Uint8Array): string {
  const parsed = ReplyPayload.parse(payload);
  const tag = Buffer.from(parsed.t, 'base64url').length === 8 ? parsed.t : tokenTag(parsed.t);
  const short = compact && tag && parsed.h ? encodeShort('reply', { ...parsed, t: tag, h: parsed.h, signal: compact }) : undefined;
  return short ?? REPLY_PREFIX + pack(parsed);
}

/** Whether a reply answers the invite made with `token`: its `t` is the token, or the token's
 * tag when the invite or the reply was short. */
export function answersInvite(reply: Pick<Reply, 't'>, token: string): boolean {
  return reply.t === token || reply.t === tokenTag(token);
}

/** Read an invite code; a `LinkError` says what is wrong with it. */
export function decodeInvite(code: string): Invite {
  return decode(code, 'invite') as Invite; // a short invite always has its expiry
}

/** Read a reply code; a `LinkError` says what is wrong with it. */
export function decodeReply(code: string): Reply {
  return decode(code, 'reply');
}

const PREFIXES = {
  invite: [INVITE_PREFIX, SHORT_INVITE_PREFIX, OFFERS_INVITE_PREFIX],
  reply: [REPLY_PREFIX, SHORT_REPLY_PREFIX, OFFERS_REPLY_PREFIX],
} as const;

function decode(raw: string, kind: 'invite' | 'reply'): Invite | Reply {
  const code = raw.trim();
  const other = kind === 'invite' ? 'reply' : 'invite';
  if (PREFIXES[other].some((prefix) => code.startsWith(prefix))) {
    throw new LinkError(
      'wrong-code',
      kind === 'reply'
        ? 'This is an invite code, not a reply code: paste the code the other person sent back.'
        : 'This is a reply code, not an invite: it goes into the "paste reply" box of the person who invited.',
    );
  }
  const [long, short] = PREFIXES[kind];
  if (code.startsWith(short)) {
    const { signal, ...rest } = decodeShort(kind, code);
    return { ...rest, s: { compact: signal } };
  }
  if (!code.startsWith(long)) throw new LinkError('not-a-code', `This is not a WhatNext ${kind} code (it should start with "${long}" or "${short}").`);
  const payload = unpack(code, long, kind === 'invite' ? InvitePayload : ReplyPayload, kind);
  return { ...payload, s: { full: payload.s } };
}

export function pack(payload: unknown): string {
  return deflateSync(Buffer.from(JSON.stringify(payload)), { level: 9 }).toString('base64url');
}

export function unpack<S extends z.ZodType>(code: string, prefix: string, schema: S, kind: 'invite' | 'reply'): z.output<S> {
  if (code.length > MAX_CODE_LENGTH)
    throw new LinkError('too-long', `This ${kind} code is ${code.length} characters long; codes are at most ${MAX_CODE_LENGTH}.`);
  const body = code.slice(prefix.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw new LinkError('corrupted', `This ${kind} code contains characters a code never has; copy it again.`);
  const bytes = Buffer.from(body, 'base64url');
  // Base64's last character has spare bits a decoder ignores: insist on the canonical form so
  // that no changed character goes unnoticed.
  if (bytes.toString('base64url') !== body) throw new LinkError('corrupted', `This ${kind} code is damaged or incomplete; copy the whole code again.`);
  let json: string;
  try {
    json = inflateSync(bytes, { maxOutputLength: MAX_JSON_BYTES }).toString('utf8');
  } catch {
    throw new LinkError('corrupted', `This ${kind} code is damaged or incomplete (part of it may have been cut off when copying); copy the whole code again.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw new LinkError('corrupted', `This ${kind} code is damaged; copy it again.`);
  }
  const wrongContent = (what: string) =>
    new LinkError('corrupted', `This ${kind} code does not hold what ${kind === 'invite' ? 'an' : 'a'} ${kind} code holds (${what}).`);
  // Checked before anything walks it recursively (the schema, JSON.stringify of the signal).
  const problem = jsonShapeProblem(data);
  if (problem) throw wrongContent(`it ${problem}`);
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw wrongContent(`${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
