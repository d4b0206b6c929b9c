/**
 * The options of a pipe over a buffered channel (a WebRTC data channel, say) that a user may
 * tune, for a plugin's options schema: `z.object({ ...pipeTuningOptions, ... })`. One definition,
 * so every transport plugin offers them with the same bounds, defaults and words.
 */
import { z } from 'zod';

export const DEFAULT_MAX_FRAME_SIZE = 64 * 1024;
export const DEFAULT_LOW_WATER_MARK = 256 * 1024;

export const pipeTuningOptions = {
  maxFrameSize: z
    .number()
    .int()
    .min(1024)
    .max(256 * 1024)
    .default(DEFAULT_MAX_FRAME_SIZE)
    .describe('Largest frame sent on the data channel, in bytes (core chunks larger messages)'),
  lowWaterMark: z
    .number()
    .int()
    .min(0)
    .max(8 * 1024 * 1024)
    .default(DEFAULT_LOW_WATER_MARK)
    .describe('Buffered bytes under which sending resumes'),
};
