/**
 * What travels through the broker, as this plugin accepts it. Every payload is untrusted (anyone
 * who can publish to a peer's inbox chooses it; the broker may be anyone's): its size is checked
 * before it is parsed, then its shape with zod. Nothing here is acted on unless it is addressed
 * to us and, for an answer or a refusal, matches an attempt of ours to the peer that sent it.
 */
import { z } from 'zod';
import { DisplayName, HandshakeNonce, PeerId, ProtocolError } from '@whatnext/core';

/** The largest payload read: a description with all its candidates (as a peer that does not
 * trickle sends it) fits many times over. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** One attempt's id, chosen by the dialing side: 16 random bytes, base64url. */
export const AttemptTag = z.string().regex(/^[\w-]{22}$/, 'an attempt tag is 16 bytes of base64url');

const Sdp = z
  .string()
  .min(1)
  .max(48 * 1024);

const Envelope = { v: z.literal(1), from: PeerId, to: PeerId, attempt: AttemptTag };

/** The dialer's offer: its description, sent at once (its candidates follow as `candidate`
 * messages; one with its candidates in, from a peer that does not trickle, is read alike), and
 * its claims, which core checks again in the handshake. */
export const OfferMessage = z
  .object({
    ...Envelope,
    type: z.literal('offer'),
    sdp: Sdp,
    name: DisplayName.optional(),
    token: z
      .string()
      .regex(/^[\w-]{8,64}$/)
      .optional(),
    /** The dialer's handshake nonce, so the answering side's proof rides in its first hello
     * (best effort: a malformed one is dropped). */
    nonce: HandshakeNonce.optional().catch(undefined),
    /** The dialer reconnects a pairing (`reach`): passed on to core as a claim. */
    reconnect: z.literal(true).optional(),
  })
  .strict();
export type OfferMessage = z.infer<typeof OfferMessage>;

export const AnswerMessage = z.object({ ...Envelope, type: z.literal('answer'), sdp: Sdp }).strict();
export type AnswerMessage = z.infer<typeof AnswerMessage>;

/** One ICE candidate of the sender's for `attempt`, trickled after its offer or answer. */
export const CandidateMessage = z
  .object({
    ...Envelope,
    type: z.literal('candidate'),
    candidate: z
      .object({
        candidate: z.string().max(1024),
        sdpMid: z.string().max(64).nullish(),
        sdpMLineIndex: z.number().int().min(0).max(1024).nullish(),
        usernameFragment: z.string().max(256).nullish(),
      })
      .strict(),
  })
  .strict();
export type CandidateMessage = z.infer<typeof CandidateMessage>;
export type IceCandidate = CandidateMessage['candidate'];

export const RefusalMessage = z.object({ ...Envelope, type: z.literal('refuse'), reason: z.string().max(500) }).strict();
export type RefusalMessage = z.infer<typeof RefusalMessage>;

export const SignalMessage = z.discriminatedUnion('type', [OfferMessage, AnswerMessage, CandidateMessage, RefusalMessage]);
export type SignalMessage = z.infer<typeof SignalMessage>;

/** Read one payload from the broker: the size first, then JSON, then the shape. Throws
 * `ProtocolError` saying what was wrong. */
export function parseSignal(payload: Uint8Array): SignalMessage {
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    throw new ProtocolError(`an MQTT payload of ${payload.byteLength} bytes is over the ${MAX_PAYLOAD_BYTES} this method reads`);
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (cause) {
    throw new ProtocolError('an MQTT payload is not UTF-8 JSON', { cause });
  }
  const result = SignalMessage.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ProtocolError(
      `an MQTT payload is not a WhatNext signal: ${issue?.message ?? 'invalid'}${issue?.path.length ? ` at ${issue.path.join('.')}` : ''}`,
    );
  }
  return result.data;
}
