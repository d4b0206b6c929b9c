/** Core's connection: what every transport pipe becomes. See types.ts for the API. */
export { CONNECTION_DEFAULTS } from './connection';
export { ConnectionClosedError, RemoteRequestError, RequestTimeoutError } from './errors';
export { TRANSITIONS, IllegalTransitionError, canTransition, isTerminal } from './state';
export { PROTOCOL_VERSION, MIN_FRAME_SIZE, MAX_CHANNEL_NAME_BYTES } from './wire';
export type * from './types';
