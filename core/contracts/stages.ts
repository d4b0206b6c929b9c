import { z } from 'zod';

/** The stages a connection goes through, in order. Reported live so the UI can say where a
 * connection is, and on failure which stage failed. */
export const ConnectionStage = z.enum([
  'signaling', // exchanging offers/answers through the signaling method
  'ice', // finding a network path
  'channel', // secure channel (DTLS) and data channel opening
  'handshake', // core's hello: peer ids, versions
  'open',
]);
export type ConnectionStage = z.infer<typeof ConnectionStage>;

/** Connection state machine (see core/connection/state.ts for the allowed transitions). */
export const ConnectionState = z.enum(['connecting', 'open', 'closing', 'closed', 'failed']);
export type ConnectionState = z.infer<typeof ConnectionState>;
