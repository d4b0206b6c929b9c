/** Options of the simple-peer transport (validated by the host at start). The engine and the ICE
 * servers are the webrtc plugin's options. */
import { z } from 'zod';

const KiB = 1024;

export const SimplePeerOptions = z
  .object({
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
