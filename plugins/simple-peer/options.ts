/** Options of the simple-peer transport (validated by the host at start). */
import { z } from 'zod';
import { isWebRtcEngine, type WebRtcEngine } from './engine';

const KiB = 1024;

/** STUN/TURN URL as RTCIceServer accepts it (RFC 7064/7065). */
const IceUrl = z
  .string()
  .max(512)
  .regex(/^(stun|stuns|turn|turns):[^\s]+$/, 'an ICE server URL starts with stun:, stuns:, turn: or turns:');

export const IceServer = z
  .object({
    urls: z.union([IceUrl, z.array(IceUrl).min(1).max(16)]),
    username: z.string().max(512).optional(),
    credential: z.string().max(512).optional(),
  })
  .strict();
export type IceServer = z.infer<typeof IceServer>;

export const SimplePeerOptions = z
  .object({
    iceServers: z
      .array(IceServer)
      .max(16)
      .default([])
      .describe('STUN/TURN servers. None by default: peers on one machine or LAN need none.'),
    engine: z
      .custom<WebRtcEngine>(isWebRtcEngine, {
        message: 'engine must be an object with RTCPeerConnection, RTCSessionDescription and RTCIceCandidate constructors (the wrtc shape)',
      })
      .optional()
      .describe('The Node WebRTC engine. Default: @roamhq/wrtc, loaded on the first dial.'),
    maxFrameSize: z
      .number()
      .int()
      .min(1 * KiB)
      .max(256 * KiB)
      .default(64 * KiB)
      .describe('Largest frame handed to the data channel, in bytes (lowered to what the remote accepts).'),
    gatherTimeoutMs: z
      .number()
      .int()
      .min(50)
      .max(30_000)
      .default(1_000)
      .describe(
        'Without trickle: longest wait for ICE gathering before the one complete signal goes out with the candidates found so far. Only matters with STUN/TURN servers that answer slowly or not at all.',
      ),
  })
  .strict();

export type SimplePeerOptionsInput = z.input<typeof SimplePeerOptions>;
export type SimplePeerOptions = z.output<typeof SimplePeerOptions>;
