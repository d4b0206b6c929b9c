/**
 * Every close code a connection ends with (`CloseReason.code`), and what each means. They travel
 * in close frames, so they are kebab-case tags, stable across versions. A remote may send any
 * other tag; these are the ones core gives.
 */
export const CLOSE_CODES = Object.freeze({
  closed: 'One side closed it (`by` says which).',
  shutdown: 'The side that closed it is stopping (its service shuts down); it may be back.',
  'peer-timeout': 'No frame came from the remote for the dead-peer timeout.',
  'pipe-closed': 'The transport closed or refused a frame without a close frame.',
  'handshake-failed': 'The remote did not prove its id, or not the one expected.',
  'transport-failed': 'The transport failed before the connection opened.',
  duplicate: 'The two peers had another connection between them (both dialled at once): this one gave way.',
  aborted: 'The attempt was cancelled or timed out before the connection opened.',
  'protocol-error': 'A frame broke the wire format or the handshake.',
  'internal-error': 'Something failed here handling a frame: a bug, to report.',
});
export type CloseCode = keyof typeof CLOSE_CODES;
