/**
 * Invites that offer several transports (manual 1.2.0), and the reply that says which one it
 * took:
 *
 *   invite  wno3.<base64url(zlib(json))>  { t, i, n, x, h?, o: [{ p: transport, s: signal } | { p, c: compact }, ...] }
 *   reply   wna3.<base64url(zlib(json))>  { t, i, n, h?, p: the transport taken, s | c }
 *
 * `o` holds one to four offers, the inviter's preference first; `c` is a transport's compact
 * form of its signal (`Transport.signalCodec`), base64url. An invite that offers simple-peer
 * alone is written as before (codes.ts: short wno2 or long wno1), so a WhatNext whose manual
 * plugin is older reads it; every other is wno3. Codes without `p` (wno1, wno2 and their
 * replies) are simple-peer's: the only transport those versions were made with by default.
 */
import { z } from 'zod';
import { DisplayName, HandshakeNonce, PeerId, type Signal } from '@whatnext/core';
import {
  OFFERS_INVITE_PREFIX,
  OFFERS_REPLY_PREFIX,
  REPLY_PREFIX,
  OpaqueSignal,
  Token,
  decodeInvite,
  decodeReply,
  encodeInvite,
  encodeReply,
  pack,
  unpack,
  type CarriedSignal,
  type InvitePayload,
  type ReplyPayload,
} from './codes';
import { SHORT_INVITE_PREFIX, SHORT_REPLY_PREFIX } from './short-codes';

/** The transport codes without a transport name are for. */
export const LEGACY_TRANSPORT = 'simple-peer';
export const MAX_OFFERS = 4;

const TransportName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a transport name');
const Compact = z.string().regex(/^[A-Za-z0-9_-]{1,2048}$/, 'compact signal bytes, base64url');
const Carried = z.union([z.object({ p: TransportName, s: OpaqueSignal }).strict(), z.object({ p: TransportName, c: Compact }).strict()]);

const OffersInvitePayload = z
  .object({ t: Token, i: PeerId, n: DisplayName, x: z.number().int().positive(), h: HandshakeNonce.optional(), o: z.array(Carried).min(1).max(MAX_OFFERS) })
  .strict()
  .refine((invite) => new Set(invite.o.map((offer) => offer.p)).size === invite.o.length, 'a transport offered twice');
const ReplyHead = z.object({ t: Token, i: PeerId, n: DisplayName, h: HandshakeNonce.optional(), p: TransportName });
const TakenReplyPayload = z.union([ReplyHead.extend({ s: OpaqueSignal }).strict(), ReplyHead.extend({ c: Compact }).strict()]);

/** One transport's signal, as the code carries it. */
export interface Offer {
  transport: string;
  signal: CarriedSignal;
}

/** What a local dial made, to offer or to send back. */
export interface LocalSignal {
  transport: string;
  signal: Signal;
  /** The transport's compact form of it, if any. */
  compact?: Uint8Array;
}

export type OfferedInvite = Omit<InvitePayload, 's'> & {
  offers: Offer[];
  /** Written in a format without transport names (wno1, wno2): the reply must be too. */
  legacy: boolean;
  /** A short code (wno2): its reply is short too. */
  short: boolean;
};
export type TakenReply = Omit<ReplyPayload, 's'> & Offer;

/** An invite offers simple-peer alone: it is written in the older forms (no transport names). */
function isLegacyOffer(offers: readonly { transport: string }[]): boolean {
  return offers.length === 1 && offers[0]!.transport === LEGACY_TRANSPORT;
}

/** How the reply to the invite `code` starts (the form the answering side writes it in). */
export function replyPrefixFor(code: string): string {
  if (code.startsWith(OFFERS_INVITE_PREFIX)) return OFFERS_REPLY_PREFIX;
  return code.startsWith(SHORT_INVITE_PREFIX) ? SHORT_REPLY_PREFIX : REPLY_PREFIX;
}

export function writeInvite(head: Omit<InvitePayload, 's'>, offers: LocalSignal[], shortCodes: boolean): string {
  const [only] = offers;
  if (isLegacyOffer(offers)) {
    return encodeInvite({ ...head, s: only!.signal as Record<string, unknown> }, shortCodes ? only!.compact : undefined);
  }
  return OFFERS_INVITE_PREFIX + pack({ ...head, o: offers.map(carried) });
}

export function readInvite(raw: string): OfferedInvite {
  // Any other code (a reply code too) is decoded, or refused, by codes.ts.
  const code = raw.trim();
  if (code.startsWith(OFFERS_INVITE_PREFIX)) {
    const { o, ...head } = unpack(code, OFFERS_INVITE_PREFIX, OffersInvitePayload, 'invite');
    return { ...head, offers: o.map(offerOf), legacy: false, short: false };
  }
  const { s, ...head } = decodeInvite(code);
  return { ...head, offers: [{ transport: LEGACY_TRANSPORT, signal: s }], legacy: true, short: 'compact' in s };
}

/** The reply to `invite`, in the invite's format: legacy to a legacy invite (short to a short one). */
export function writeReply(head: Omit<ReplyPayload, 's'>, invite: OfferedInvite, taken: LocalSignal): string {
  if (invite.legacy) return encodeReply({ ...head, s: taken.signal as Record<string, unknown> }, invite.short ? taken.compact : undefined);
  return OFFERS_REPLY_PREFIX + pack({ ...head, ...carried(taken) });
}

export function readReply(raw: string): TakenReply {
  const code = raw.trim();
  if (code.startsWith(OFFERS_REPLY_PREFIX)) {
    const payload = unpack(code, OFFERS_REPLY_PREFIX, TakenReplyPayload, 'reply');
    const { t, i, n, h } = payload;
    return { t, i, n, ...(h !== undefined && { h }), ...offerOf(payload) };
  }
  const { s, ...head } = decodeReply(code);
  return { ...head, transport: LEGACY_TRANSPORT, signal: s };
}

function carried({ transport, signal, compact }: LocalSignal): z.infer<typeof Carried> {
  return compact ? { p: transport, c: Buffer.from(compact).toString('base64url') } : { p: transport, s: signal as Record<string, unknown> };
}

function offerOf(offer: z.infer<typeof Carried>): Offer {
  return { transport: offer.p, signal: 's' in offer ? { full: offer.s } : { compact: new Uint8Array(Buffer.from(offer.c, 'base64url')) } };
}
