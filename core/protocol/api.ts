/**
 * The API object the renderer sees as `window.whatnext`. The Electron preload builds it over the
 * MessagePort main hands it; the browser shell builds the same object over a WebSocket. Both
 * derive it from the protocol with `createClient`, so its types are never kept twice.
 */
import type { ServiceClient } from './client';

export type WhatNextApi = Pick<ServiceClient, 'request' | 'on'>;

/** Where the renderer finds it. */
export const API_GLOBAL = 'whatnext';

declare global {
  interface Window {
    whatnext?: WhatNextApi;
  }
}
