/**
 * The bulk-transfer method of every throughput row, loopback (bench/connections.ts) and lab
 * (bench/lab.ts): the same bytes one way, each side writing in the message size it is used
 * with, the median of several transfers alternated with the other side's.
 */
export const BULK_BYTES = 32 * 1024 * 1024;
/** Ours: one core message, which core splits into frames the transport accepts. */
export const OUR_MESSAGE = 256 * 1024;
/** Raw: one simple-peer write (PeerJS: one send), a size every engine's data channel takes whole. */
export const RAW_CHUNK = 64 * 1024;
/** Bulk transfers per side, alternated: one transfer on this shared machine can read half or
 * double its usual rate; the median of five does not. */
export const TRANSFERS = 5;

export function megabytesPerSecond(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}
