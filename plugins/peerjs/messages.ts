/**
 * Broker messages and connection metadata as this plugin accepts them. Everything that arrives
 * through the broker is untrusted (other peers choose OFFER/ANSWER/CANDIDATE payloads and the
 * metadata; the broker itself may be anyone's), so it is parsed here before PeerJS sees it.
 */
import { z } from 'zod';
import { DisplayName, HandshakeNonce, PeerId } from '@whatnext/core';

/** PeerJS connection ids: `dc_` plus a random base-36 string; ours are `dc_` plus base32. */
export const ConnectionId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** Any PeerJS id the broker may put in `src` (PeerJS allows `[A-Za-z0-9]+` joined by ` `, `_`, `-`). */
const BrokerPeerId = z.string().min(1).max(128);

/** A handshake nonce passed ahead through signaling so that each side's hello can carry its
 * proof (see core's proof.ts). Best effort: a malformed one is dropped, not fatal. */
const HandshakeNonceField = HandshakeNonce.optional().catch(undefined);

const Sdp = (type: 'offer' | 'answer') =>
  z.object({
    type: z.literal(type),
    sdp: z
      .string()
      .min(1)
      .max(32 * 1024),
  });

/** What a WhatNext peer puts in `DataConnection.metadata`. Claims only: `id` must match the
 * broker-assigned `src`, and core's handshake checks the id again. */
export const Metadata = z.object({
  id: PeerId,
  name: DisplayName.optional(),
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/)
    .optional(),
  /** The dialer's handshake nonce, so the answering side's proof rides in its first hello (core
   * checks it; a bad one only costs a round trip). */
  nonce: HandshakeNonceField,
  /** The dialer reconnects a pairing (`reach`): passed on to core as a claim. */
  reconnect: z.literal(true).optional(),
});
export type Metadata = z.infer<typeof Metadata>;

/** An OFFER for a data connection this plugin is willing to take: raw serialization (frames
 * intact, no PeerJS framing) and `reliable` (an ordered data channel). PeerJS would otherwise
 * instantiate whatever serializer class the remote names, including `binary` (BinaryPack, which
 * chunks and copies) or an unknown key (a TypeError thrown inside the socket handler). */
export const OfferPayload = z.object({
  sdp: Sdp('offer'),
  type: z.literal('data'),
  connectionId: ConnectionId,
  label: z.string().max(128).optional(),
  serialization: z.literal('raw'),
  reliable: z.literal(true),
  metadata: z.unknown(),
});
export type OfferPayload = z.infer<typeof OfferPayload>;

export const AnswerPayload = z.object({ sdp: Sdp('answer'), type: z.literal('data'), connectionId: ConnectionId });

export const CandidatePayload = z.object({
  type: z.literal('data'),
  connectionId: ConnectionId,
  candidate: z.object({
    candidate: z.string().max(1024),
    sdpMid: z.string().max(64).nullish(),
    sdpMLineIndex: z.number().int().min(0).max(1024).nullish(),
    usernameFragment: z.string().max(256).nullish(),
  }),
});

/** Our refusal of an OFFER, sent as an EXPIRE (the message the broker itself sends when an offer
 * goes unanswered, so a plain PeerJS client reads it as "could not connect"). */
export const RefusalPayload = z.object({
  connectionId: ConnectionId,
  reason: z.string().max(500),
});

/** The envelope of every message from the broker. */
export const BrokerMessage = z.object({
  type: z.string().max(32),
  src: BrokerPeerId.optional(),
  dst: BrokerPeerId.optional(),
  payload: z.unknown().optional(),
});
export type BrokerMessage = z.infer<typeof BrokerMessage>;
