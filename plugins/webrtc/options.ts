/** Options of the webrtc plugin (validated by the host at start, and again on every change). */
import { z } from 'zod';
import { isWebRtcEngine } from './engine';
import type { WebRtcEngine } from './service';

/** A STUN or TURN URL as RTCIceServer takes it (RFC 7064/7065). (Not `abort` on the length: a
 * union would then say only "Invalid input"; the pattern is linear.) */
const IceUrl = z
  .string()
  .max(512, 'an ICE server URL is at most 512 characters')
  .regex(/^(?:stun|stuns|turn|turns):\S+$/, 'an ICE server URL starts with stun:, stuns:, turn: or turns:');

const isTurn = (url: string) => url.startsWith('turn:') || url.startsWith('turns:');

export const IceServer = z
  .object({
    urls: z.union([IceUrl, z.array(IceUrl).min(1).max(16)]),
    username: z.string().max(512).optional(),
    credential: z.string().max(512).optional(),
  })
  .strict()
  .superRefine((server, ctx) => {
    // The engine refuses a TURN server without both (and would fail every connection for it).
    if (!(typeof server.urls === 'string' ? [server.urls] : server.urls).some(isTurn)) return;
    for (const field of ['username', 'credential'] as const) {
      if (!server[field]) ctx.addIssue({ code: 'custom', path: [field], message: `a TURN server needs a ${field}` });
    }
  });
export type IceServer = z.infer<typeof IceServer>;

export const WebRtcOptions = z
  .object({
    iceServers: z
      .array(IceServer)
      .max(16)
      .default([])
      .describe('STUN/TURN servers for every WebRTC connection. None by default: peers on one machine or LAN need none.'),
    engine: z
      .custom<WebRtcEngine>(isWebRtcEngine, {
        message: 'engine must be an object with RTCPeerConnection, RTCSessionDescription and RTCIceCandidate constructors (the wrtc shape)',
      })
      .optional()
      .describe('The Node WebRTC engine. Default: @roamhq/wrtc, loaded on first use.'),
  })
  .strict();

export type WebRtcOptionsInput = z.input<typeof WebRtcOptions>;
export type WebRtcOptions = z.output<typeof WebRtcOptions>;
