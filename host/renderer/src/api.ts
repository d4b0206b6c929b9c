/**
 * The renderer's only door to the service: `window.whatnext` (made by Electron's preload or the
 * browser shell's bridge). Everything here is typed from the protocol; nothing else is imported
 * from outside the renderer at run time.
 */
import type { WhatNextApi } from '../../../core/protocol/api';
import type { APPROVAL_TIMEOUT, EventData, EventName, MethodName, Params, Result } from '../../../core/protocol';

export type {
  AttemptSummary,
  ConnectionSummary,
  ErrorInfo,
  KnownPeer,
  MethodInfo,
  NewTrack,
  Playlist,
  PluginStatus,
  ServiceStatus,
  Settings,
  SyncEntry,
  Track,
} from '../../../core/protocol';

/** `ErrorInfo.reason` of a request nobody approved in time (checked against core's constant). */
export const APPROVAL_TIMED_OUT: typeof APPROVAL_TIMEOUT = 'approval-timeout';

export class MissingApiError extends Error {
  readonly code = 'no_api';
  constructor() {
    super('This page was opened without the WhatNext service behind it.');
  }
}

function api(): WhatNextApi {
  const found = window.whatnext;
  if (!found) throw new MissingApiError();
  return found;
}

export function hasApi(): boolean {
  return window.whatnext !== undefined;
}

export function call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
  try {
    return api().request(method, params);
  } catch (error) {
    return Promise.reject(error);
  }
}

export function subscribe<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void {
  return api().on(event, listener);
}
