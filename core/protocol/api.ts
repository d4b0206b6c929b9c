/**
 * The API object the renderer sees as `window.whatnext`. The Electron preload builds it over the
 * MessagePort main hands it; the browser shell builds the same object over a WebSocket. Both
 * derive it from the protocol with `createClient`, so its types are never kept twice: core's
 * protocol by default, a config's (`ProtocolOf`) where the page knows which plugins run.
 */
import type { ServiceClient } from './client';
import type { CoreProtocol } from './index';
import type { ProtocolSpec } from './define';

export type WhatNextApi<P extends ProtocolSpec = CoreProtocol> = Pick<ServiceClient<P>, 'request' | 'on'>;

/** Where the renderer finds it. */
export const API_GLOBAL = 'whatnext';

declare global {
  interface Window {
    /** Typed for any protocol: a page types it with the protocol it expects. */
    whatnext?: WhatNextApi<ProtocolSpec>;
  }
}
