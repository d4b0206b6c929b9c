/**
 * Manual signaling: no server. The invite link (or code) carries the complete offer; the
 * answering side shows a reply code; pasting it on the inviting side completes the connection.
 * Needs transports that can produce one complete signal per side (`trickle: false`). Both
 * codes carry the sender's handshake nonce, so each side's identity proof rides in its hello.
 *
 * Transports are negotiated: an invite offers every transport this peer has (or those the
 * `transports` option names), each with its signal; the answering side takes the first it has
 * too, or refuses the link before anyone approves it, naming both sides' transports. The
 * codes are short (about 180 characters) when the invite offers simple-peer alone, which has a
 * compact form of its signals (`Transport.signalCodec`); see codes.ts and offers.ts.
 */
import { z } from 'zod';
import {
  ANY_TRANSPORT,
  LinkError,
  WhatNextError,
  definePlugin,
  describe,
  type AttemptContext,
  type Dial,
  type LinkTarget,
  type Signal,
  type SignalCodec,
  type SignalingMethod,
  type TentativeDial,
} from '@whatnext/core';
import { answersInvite, type CarriedSignal } from './codes';
import { MAX_OFFERS, readInvite, readReply, replyPrefixFor, writeInvite, writeReply, type LocalSignal, type Offer, type OfferedInvite } from './offers';

export const ManualOptions = z
  .object({
    transports: z
      .array(z.string().min(1).max(64))
      .max(MAX_OFFERS)
      .optional()
      .describe('The transports an invite offers and a link may take, most preferred first. Unset: every installed transport'),
    transport: z.string().min(1).optional().describe('Before manual 1.2.0: the one transport to use. Kept for old configs; use transports'),
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
  version: '1.2.0',
  api: '^2.3.0',
  description: 'No server: send an invite link or code any way you like, then paste the reply code that comes back.',
  options: ManualOptions,
  // Every option is read at each invite and each link.
  liveOptions: ['inviteTtlMinutes', 'shortCodes', 'transports', 'transport'],
  advancedOptions: ['transports', 'transport', 'shortCodes'],
  setup(ctx, options) {
    const live = { ...options };
    ctx.hooks.optionsChanged.for(ctx.name).tap((next) => {
      const { inviteTtlMinutes, shortCodes, transports, transport } = next as ManualOptions;
      Object.assign(live, { inviteTtlMinutes, shortCodes, transports, transport });
    });
    ctx.registerSignaling(createManualMethod(live, () => ctx.transports()));
  },
});

/** The transports this peer offers and takes, in its order: those named in the options that
 * are installed, or every installed one. */
export function ownTransports(options: Pick<ManualOptions, 'transports' | 'transport'>, installed: readonly string[]): string[] {
  return (namedTransports(options) ?? installed).filter((name) => installed.includes(name)).slice(0, MAX_OFFERS);
}

/** The transports the options name, if they name any (else: every installed one). */
function namedTransports(options: Pick<ManualOptions, 'transports' | 'transport'>): readonly string[] | undefined {
  return options.transports?.length ? options.transports : options.transport ? [options.transport] : undefined;
}

type Invite = OfferedInvite & { taken: Offer };

/** `options` is read at each invite and link: change it and the next one follows. `installed`
 * names the transports registered now. */
export function createManualMethod(options: ManualOptions, installed: () => readonly string[]): SignalingMethod<Invite> {
  // Invites this peer answered: the same invite opened twice is refused.
  const answered = new Set<string>();
  const own = () => ownTransports(options, installed());

  return {
    name: 'manual',
    description: 'Copy-paste: no server involved. Send an invite; paste the reply code you get back.',
    // What settings and the method list show: the transports the options name (installed), or any.
    get transports() {
      return namedTransports(options) ? own() : [ANY_TRANSPORT];
    },
    code: { prefix: 'wno', param: 'o' }, // every form: wno1., wno2. and wno3.

    parseLink(params): LinkTarget<Invite> {
      const extra = Object.keys(params).filter((key) => key !== 'o');
      if (extra.length > 0) throw new LinkError('bad-param', `A manual invite link has no parameter "${extra[0]}".`);
      if (!params.o) throw new LinkError('missing-param', 'This manual invite link has no invite code in it (parameter "o").');
      const invite = readInvite(params.o);
      if (invite.x * 1000 < Date.now()) {
        throw new LinkError('expired', `This invite expired at ${new Date(invite.x * 1000).toISOString()}; ask ${invite.n} for a new one.`);
      }
      if (answered.has(invite.t)) throw new LinkError('replayed', `You already answered this invite from ${invite.n}; ask for a new one.`);
      const mine = own();
      const taken = invite.offers.find((offer) => mine.includes(offer.transport));
      if (!taken) {
        const theirs = invite.offers.map((offer) => offer.transport).join(', ');
        throw new LinkError(
          'no-common-transport',
          `${invite.n}'s invite offers ${theirs}; this WhatNext has ${mine.join(', ') || 'no transport'}. ` +
            `Install a plugin for one of theirs (Settings → Plugins), or ask ${invite.n} for an invite over one of yours.`,
        );
      }
      return { method: 'manual', remote: { id: invite.i, name: invite.n }, params: { ...invite, taken } };
    },

    async invite(ctx) {
      const token = ctx.inviteToken;
      if (!token) throw new Error('the host gave this invite no token');
      const offered = ownTransports(options, ctx.transports);
      if (offered.length === 0) {
        throw new WhatNextError(
          'unknown_transport',
          `The manual method has no transport to offer: install one (simple-peer, say), or check its transports option.`,
        );
      }
      const dials = await dialEach(ctx, offered);
      const expires = Math.floor(Date.now() / 1000) + options.inviteTtlMinutes * 60;
      const code = writeInvite(
        { t: token, i: ctx.local.id, n: ctx.local.name, x: expires, h: ctx.handshake.nonce },
        dials.map(({ local }) => local),
        options.shortCodes,
      );
      ctx.presentInvite({
        params: { o: code },
        code,
        expiresAt: expires * 1000,
        text: 'Send this link (or the code) to the person you invite, then paste the reply code they send back.',
      });
      const placeholder = replyPrefixFor(code);
      let accepted!: { dial: OfferedDial; signal: Signal; reply: ReturnType<typeof readReply> }; // decoded once, by the check the answer passed
      await ctx.ask({ title: 'Paste the reply code', label: 'Reply code', placeholder: `${placeholder}…` }, (text) => {
        const reply = readReply(text);
        if (!answersInvite(reply, token))
          throw new LinkError('wrong-invite', 'This reply code answers a different invite (an older one, perhaps); paste the reply to this invite.');
        const dial = dials.find(({ local }) => local.transport === reply.transport);
        if (!dial) {
          throw new LinkError(
            'wrong-transport',
            `This reply takes the transport ${reply.transport}, which this invite did not offer (it offered ${dials.map(({ local }) => local.transport).join(', ')}); paste the reply to this invite.`,
          );
        }
        accepted = { dial, signal: signalOf(reply.signal, ctx.signalCodec(reply.transport), reply.transport, 'reply'), reply };
      });
      const { dial, signal, reply } = accepted;
      // Before the remote's nonce: our proof is then made for the session we run on.
      if ('choose' in dial.dial) dial.dial.choose();
      ctx.claimRemote({ id: reply.i, name: reply.n });
      if (reply.h) ctx.handshake.remoteNonce(reply.h);
      dial.dial.signal(signal);
      return dial.dial.pipe;
    },

    async answer(target, ctx) {
      const invite = target.params;
      const { transport, signal: carried } = invite.taken;
      answered.add(invite.t);
      if (invite.h) ctx.handshake.remoteNonce(invite.h);
      const codec = ctx.signalCodec(transport);
      const { dial, signal: made } = startDial(ctx, transport, false, signalOf(carried, codec, transport, 'invite'));
      const signal = await made;
      const code = writeReply({ t: invite.t, i: ctx.local.id, n: ctx.local.name, h: ctx.handshake.nonce }, invite, {
        transport,
        signal,
        ...withCompact(signal, codec),
      });
      ctx.show({ title: 'Send this reply code back', text: `Send it to ${invite.n}: the connection opens when they paste it.`, code });
      return dial.pipe;
    },
  };
}

interface OfferedDial {
  local: LocalSignal;
  /** Tentative when several are offered at once: `choose` takes it, giving up the others. */
  dial: Dial | TentativeDial;
}

/** How long, once one offered transport has made its signal, the others may take to make theirs:
 * one that is slow (a WebRTC engine waiting on an unreachable STUN server, say) is left out of
 * the invite rather than holding it back. */
export const OFFER_GRACE_MS = 2_000;

/** Dial each transport to offer for its complete local signal: one plainly, several as tentative
 * dials (core holds each back until the reply picks one). A transport that cannot make its
 * signal, or makes it more than `OFFER_GRACE_MS` after the first, is left out of the invite; if
 * none can, the first failure is the attempt's. */
async function dialEach(ctx: AttemptContext, transports: string[]): Promise<OfferedDial[]> {
  const tentative = transports.length > 1;
  const started = transports.map((transport) => {
    const dial = startDial(ctx, transport, true, undefined, tentative);
    const outcome: { signal?: Signal; error?: unknown } = {};
    const settled = dial.signal.then(
      (signal) => void (outcome.signal = signal),
      (error: unknown) => void (outcome.error = error),
    );
    return { transport, dial, outcome, settled };
  });
  const all = Promise.all(started.map(({ settled }) => settled));
  const first = Promise.any(started.map(({ dial }) => dial.signal)).catch(() => undefined);
  await Promise.race([first, all]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, OFFER_GRACE_MS)))]);
  clearTimeout(timer);
  const made: OfferedDial[] = [];
  for (const { transport, dial, outcome } of started) {
    if (outcome.signal === undefined) {
      if ('cancel' in dial.dial) dial.dial.cancel();
      continue;
    }
    made.push({ local: { transport, signal: outcome.signal, ...withCompact(outcome.signal, ctx.signalCodec(transport)) }, dial: dial.dial });
  }
  if (made.length === 0) throw started.find(({ outcome }) => outcome.error !== undefined)?.outcome.error ?? new Error('no offered transport made its signal');
  return made;
}

function withCompact(signal: Signal, codec: SignalCodec | undefined): { compact?: Uint8Array } {
  const compact = compactOf(signal, codec);
  return compact ? { compact } : {};
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

/** Start a dial; `signal` resolves with the transport's one complete local signal (or rejects
 * with the dial's failure). */
function startDial(
  ctx: AttemptContext,
  transport: string,
  initiator: boolean,
  remote?: Signal,
  tentative = false,
): { dial: Dial | TentativeDial; signal: Promise<Signal> } {
  let resolveSignal!: (signal: Signal) => void;
  const local = new Promise<Signal>((resolve) => (resolveSignal = resolve));
  const request = { initiator, trickle: false, sendSignal: (signal: Signal) => resolveSignal(signal) };
  const dial = tentative ? ctx.dial(transport, { ...request, tentative: true }) : ctx.dial(transport, request);
  dial.pipe.catch(() => undefined); // observed by the caller once returned; avoid an unhandled rejection before that
  if (remote !== undefined) dial.signal(remote);
  const signal = Promise.race([local, dial.pipe.then(() => local)]);
  signal.catch(() => undefined);
  return { dial, signal };
}
