/**
 * The renderer's only door to the service: `window.whatnext` (made by Electron's preload or the
 * browser shell's bridge). Everything here is typed from the protocol the app's plugins.config
 * makes (core's and each plugin's: a plugin added there is typed here too); nothing else is
 * imported from outside the renderer at run time.
 */
import type { WhatNextApi, APPROVAL_TIMEOUT, EventDataOf, EventNameOf, MethodNameOf, ParamsOf, ResultOf, ProtocolOf } from '@whatnext/core';
import type appConfig from '../../../plugins.config';

/** What the service speaks with the app's plugins loaded. */
export type AppProtocol = ProtocolOf<typeof appConfig>;

export type {
  AttemptSummary,
  ConnectionSummary,
  ErrorInfo,
  ExternalPlugin,
  ExternalPlugins,
  KnownPeer,
  MethodInfo,
  PluginStatus,
  ServiceStatus,
  Settings,
} from '@whatnext/core';
export type { FieldEdit, NewTrack, Playlist, PlaylistSummary, SyncEntry, Track, TrackCursor } from '../../../plugins/rxdb/protocol';

/** `ErrorInfo.reason` of a request nobody approved in time (checked against core's constant). */
export const APPROVAL_TIMED_OUT: typeof APPROVAL_TIMEOUT = 'approval-timeout';

export class MissingApiError extends Error {
  readonly code = 'no_api';
  constructor() {
    super('This page was opened without the WhatNext service behind it.');
  }
}

function api(): WhatNextApi<AppProtocol> {
  const found = window.whatnext;
  if (!found) throw new MissingApiError();
  // The preload and the bridge give a client of any protocol; this app's is AppProtocol.
  return found as unknown as WhatNextApi<AppProtocol>;
}

export function hasApi(): boolean {
  return window.whatnext !== undefined;
}

export function call<M extends MethodNameOf<AppProtocol>>(method: M, params: ParamsOf<AppProtocol, M>): Promise<ResultOf<AppProtocol, M>> {
  try {
    return api().request(method, params);
  } catch (error) {
    return Promise.reject(error);
  }
}

export function subscribe<E extends EventNameOf<AppProtocol>>(event: E, listener: (data: EventDataOf<AppProtocol, E>) => void): () => void {
  return api().on(event, listener);
}
