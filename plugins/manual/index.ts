/**
 * Manual signaling: no server. The invite link (or code) carries the complete offer; the
 * answering side shows a reply code; pasting it on the inviting side completes the connection.
 * Needs a transport that can produce one complete signal per side (`trickle: false`). Both
 * codes carry the sender's handshake nonce, so each side's identity proof rides in its hello.
 * The codes are short (about 180 characters) when the transport has a compact form of its
 * signals (`Transport.signalCodec`), long otherwise (see codes.ts).
 */
import { z } from 'zod';
import {
  LinkError,
  definePlugin,
  describe,
  type AttemptContext,
  type Dial,
  type LinkTarget,
  type Signal,
  type SignalCodec,
  type SignalingMethod,
} from '@whatnext/core';
import { REPLY_PREFIX, answersInvite, decodeInvite, decodeReply, encodeInvite, encodeReply, type CarriedSignal, type Invite, type Reply } from './codes';
import { SHORT_INVITE_PREFIX, SHORT_REPLY_PREFIX } from './short-codes';

export const ManualOptions = z
  .object({
    transport: z.string().min(1).default('simple-peer').describe('The transport that carries the connection'),
    shortCodes: z
      .boolean()
      .default(true)
      .describe('Short codes (and QR codes) when the transport allows; off for peers whose WhatNext reads only long codes (manual plugin before 1.1.0)'),
    inviteTtlMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(10)
      .describe('How long an invite code stays valid'),
  })
  .strict();
export type ManualOptions = z.output<typeof ManualOptions>;

export const manual = definePlugin({
  name: 'manual',
  version: '1.1.0',
  api: '^2.2.0',
  description: 'No server: send an invite link or code any way you like, then paste the reply code that comes back.',
  options: ManualOptions,
  // The transport is declared with the method when it registers: a new one takes a restart.
  liveOptions: ['inviteTtlMinutes', 'shortCodes'],
  advancedOptions: ['transport', 'shortCodes'],
  setup(ctx, options) {
    const live = { ...options };
    ctx.hooks.optionsChanged.for(ctx.name).tap((next) => {
      const { inviteTtlMinutes, shortCodes } = next as ManualOptions;
      Object.assign(live, { inviteTtlMinutes, shortCodes });
    });
    ctx.registerSignaling(createManualMethod(live));
  },
});

/** `options` is read at each invite: change `inviteTtlMinutes` or `shortCodes` on it and the
 * next invite follows. */
export function createManualMethod(options: ManualOptions): SignalingMethod<Invite> {
  // Invites this peer answered: the same invite opened twice is refused.
  const answered = new Set<string>();

  return {
    name: 'manual',
    description: 'Copy-paste: no server involved. Send an invite; paste the reply code you get back.',
    transports: [options.transport],
    code: { prefix: 'wno', param: 'o' }, // both forms: wno1. and wno2.

    parseLink(params): LinkTarget<Invite> {
      const extra = Object.keys(params).filter((key) => key !== 'o');
      if (extra.length > 0) throw new LinkError('bad-param', `A manual invite link has no parameter "${extra[0]}".`);
      if (!params.o) throw new LinkError('missing-param', 'This manual invite link has no invite code in it (parameter "o").');
      const invite = decodeInvite(params.o);
      if (invite.x * 1000 < Date.now()) {
        throw new LinkError('expired', `This invite expired at ${new Date(invite.x * 1000).toISOString()}; ask ${invite.n} for a new one.`);
      }
      if (answered.has(invite.t)) throw new LinkError('replayed', `You already answered this invite from ${invite.n}; ask for a new one.`);
      return { method: 'manual', remote: { id: invite.i, name: invite.n }, params: invite };
    },

    async invite(ctx) {
      const token = ctx.inviteToken;
      if (!token) throw new Error('the host gave this invite no token');
      const codec = ctx.signalCodec(options.transport);
      const { dial, signal } = await dialForSignal(ctx, options.transport, true);
      const expires = Math.floor(Date.now() / 1000) + options.inviteTtlMinutes * 60;
      const code = encodeInvite(
        { t: token, i: ctx.local.id, n: ctx.local.name, x: expires, s: signal as Record<string, unknown>, h: ctx.handshake.nonce },
        options.shortCodes ? compactOf(signal, codec) : undefined,
      );
      ctx.presentInvite({
        params: { o: code },
        code,
        expiresAt: expires * 1000,
        text: 'Send this link (or the code) to the person you invite, then paste the reply code they send back.',
      });
      let reply!: Reply; // decoded once, by the check the answer passed
      let replySignal!: Signal;
      await ctx.ask(
        { title: 'Paste the reply code', label: 'Reply code', placeholder: `${code.startsWith(SHORT_INVITE_PREFIX) ? SHORT_REPLY_PREFIX : REPLY_PREFIX}…` },
        (text) => {
          const decoded = decodeReply(text);
          if (!answersInvite(decoded, token))
            throw new LinkError('wrong-invite', 'This reply code answers a different invite (an older one, perhaps); paste the reply to this invite.');
          replySignal = signalOf(decoded.s, codec, options.transport, 'reply');
          reply = decoded;
        },
      );
      ctx.claimRemote({ id: reply.i, name: reply.n });
      if (reply.h) ctx.handshake.remoteNonce(reply.h);
      dial.signal(replySignal);
      return dial.pipe;
    },

    async answer(target, ctx) {
      const invite = target.params;
      answered.add(invite.t);
      if (invite.h) ctx.handshake.remoteNonce(invite.h);
      const codec = ctx.signalCodec(options.transport);
      const { dial, signal } = await dialForSignal(ctx, options.transport, false, signalOf(invite.s, codec, options.transport, 'invite'));
      // Short only to a short invite: its maker reads short codes (an older peer would not).
      const code = encodeReply(
        { t: invite.t, i: ctx.local.id, n: ctx.local.name, s: signal as Record<string, unknown>, h: ctx.handshake.nonce },
        'compact' in invite.s ? compactOf(signal, codec) : undefined,
      );
      ctx.show({ title: 'Send this reply code back', text: `Send it to ${invite.n}: the connection opens when they paste it.`, code });
      return dial.pipe;
    },
  };
}

/** The compact form of our signal, if the transport has one. A codec that fails is no reason to
 * fail the attempt: the long code carries the signal as it is. */
function compactOf(signal: Signal, codec: SignalCodec | undefined): Uint8Array | undefined {
  try {
    return codec?.compact(signal);
  } catch {
    return undefined;
  }
}

/** The signal a code carried, as the transport takes it. */
function signalOf(carried: CarriedSignal, codec: SignalCodec | undefined, transport: string, kind: 'invite' | 'reply'): Signal {
  if ('full' in carried) return carried.full;
  if (!codec) {
    throw new LinkError(
      'unsupported',
      `This ${kind} code is a short code, and the transport ${transport} has no short form of its signals: ask for a long code (the "shortCodes" option off).`,
    );
  }
  try {
    return codec.expand(carried.compact);
  } catch (error) {
    throw new LinkError('corrupted', `This ${kind} code does not hold a signal the transport ${transport} can use (${describe(error)}); copy it again.`, {
      cause: error,
    });
  }
}

/** Dial and wait for the transport's one complete local signal (or its failure). */
async function dialForSignal(ctx: AttemptContext, transport: string, initiator: boolean, remote?: Signal): Promise<{ dial: Dial; signal: Signal }> {
  let resolveSignal!: (signal: Signal) => void;
  const local = new Promise<Signal>((resolve) => (resolveSignal = resolve));
  const dial = ctx.dial(transport, { initiator, trickle: false, sendSignal: (signal) => resolveSignal(signal) });
  dial.pipe.catch(() => undefined); // observed by the caller once returned; avoid an unhandled rejection before that
  if (remote !== undefined) dial.signal(remote);
  const signal = await Promise.race([local, dial.pipe.then(() => local)]);
  return { dial, signal };
}
