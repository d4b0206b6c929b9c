/**
 * The signals this transport exchanges, on the wire (JSON). Incoming signals are untrusted:
 * they are checked here, before simple-peer or the native engine sees them, so garbage fails
 * with a TransportError instead of crashing a peer connection.
 *
 *   { type: 'offer' | 'answer', sdp }                            a session description
 *   { type: 'candidate', candidate: { candidate, sdpMLineIndex, sdpMid } }   one ICE candidate (trickle)
 *
 * These are simple-peer's own signal shapes, so a plain simple-peer peer can talk to this one.
 */
import { z } from 'zod';
import { TransportError } from '@whatnext/core';

/** A complete SDP with every candidate is a few KiB; this bounds what a remote can make us parse. */
export const MAX_SDP_LENGTH = 64 * 1024;
export const MAX_CANDIDATE_LENGTH = 1024;

const Sdp = z
  .string()
  .min(1)
  .max(MAX_SDP_LENGTH)
  .refine((sdp) => sdp.startsWith('v=0'), 'an SDP starts with "v=0"')
  .refine((sdp) => /^m=application /m.test(sdp), 'the SDP has no data channel section ("m=application")');

export const DescriptionSignal = z.object({ type: z.enum(['offer', 'answer']), sdp: Sdp });
export type DescriptionSignal = z.infer<typeof DescriptionSignal>;

/** RFC 8839 candidate-attribute, loosely: enough that the engine gets no garbage. */
const CANDIDATE_SYNTAX = /^candidate:[!-~]{1,32} \d{1,3} (udp|tcp) \d{1,10} [0-9A-Za-z.:%_-]{1,255} \d{1,5} typ (host|srflx|prflx|relay)( [ -~]*)?$/i;

export const IceCandidateInit = z
  .object({
    // '' is an end-of-candidates marker.
    candidate: z
      .string()
      .max(MAX_CANDIDATE_LENGTH)
      .refine(
        (c) => c === '' || CANDIDATE_SYNTAX.test(c),
        'not an ICE candidate ("candidate:<foundation> <component> <udp|tcp> <priority> <address> <port> typ <type> ...")',
      ),
    sdpMLineIndex: z.number().int().min(0).max(255).nullable().optional(),
    sdpMid: z.string().max(64).nullable().optional(),
  })
  .refine((c) => c.sdpMid != null || c.sdpMLineIndex != null, 'an ICE candidate names its media section (sdpMid or sdpMLineIndex)');

export const CandidateSignal = z.object({ type: z.literal('candidate'), candidate: IceCandidateInit });
export type CandidateSignal = z.infer<typeof CandidateSignal>;

export const WireSignal = z.discriminatedUnion('type', [DescriptionSignal, CandidateSignal]);
export type WireSignal = z.infer<typeof WireSignal>;

/** Validate a signal that came from the remote. Throws a TransportError (stage 'signaling'). */
export function parseSignal(raw: unknown): WireSignal {
  const parsed = WireSignal.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw new TransportError('signaling', `simple-peer: unusable signal from the remote${where}: ${issue?.message ?? 'invalid'}`, {
    cause: parsed.error,
  });
}

/** What simple-peer emits, reduced to the wire shape (plain JSON, nothing else), or undefined
 * for signals this transport never sends (renegotiation requests). */
export function toWireSignal(data: unknown): WireSignal | undefined {
  const parsed = WireSignal.safeParse(data);
  if (!parsed.success) return undefined;
  const signal = parsed.data;
  if (signal.type === 'candidate') {
    const { candidate, sdpMLineIndex, sdpMid } = signal.candidate;
    return { type: 'candidate', candidate: { candidate, sdpMLineIndex: sdpMLineIndex ?? null, sdpMid: sdpMid ?? null } };
  }
  return { type: signal.type, sdp: signal.sdp };
}
