/** Errors a connection rejects with. All are `WhatNextError`s with stable codes. */
import { WhatNextError } from '../errors';
import type { CloseReason } from './types';

/** The connection closed (or never opened): carries the reason. */
export class ConnectionClosedError extends WhatNextError {
  override name = 'ConnectionClosedError';
  constructor(readonly reason: CloseReason) {
    super('connection_closed', `connection ${reason.by === 'error' ? 'failed' : 'closed'} (${reason.code}): ${reason.message}`);
  }
}

/** The remote's request handler threw; `message` is the remote's error message. */
export class RemoteRequestError extends WhatNextError {
  override name = 'RemoteRequestError';
  constructor(message: string) {
    super('remote_error', message);
  }
}

/** No response arrived in time. */
export class RequestTimeoutError extends WhatNextError {
  override name = 'RequestTimeoutError';
  constructor(
    readonly channel: string,
    readonly timeoutMs: number,
  ) {
    super('request_timeout', `request on channel "${channel}" got no response within ${timeoutMs} ms`);
  }
}
