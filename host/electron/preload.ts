/**
 * The sandboxed preload: exposes one typed object, `window.whatnext` (`WhatNextApi`), built
 * over the MessagePort main sends. No ipcRenderer, no Electron objects reach the page. The
 * logic is in renderer-api.ts (tested in Node); the build bundles this into one CommonJS file.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { API_GLOBAL } from '../../core/protocol/api';
import type { ProtocolSpec } from '../../core/protocol/define';
import { bridgeable, createRendererApi } from './renderer-api';
import { HELLO_CHANNEL, PORT_CHANNEL, SERVICE_CHANNEL, ServiceLifecycle } from './shell-channels';

// Any page's protocol: names and data are checked at run time, and by the service.
const renderer = createRendererApi<ProtocolSpec>({ log: (message) => console.warn(`[whatnext] ${message}`) });

// A new port after each service (re)start or page reload replaces the previous one.
ipcRenderer.on(PORT_CHANNEL, (event) => {
  const port = event.ports[0];
  if (port) renderer.attach(port);
});
ipcRenderer.on(SERVICE_CHANNEL, (_event, status: unknown) => {
  const parsed = ServiceLifecycle.safeParse(status);
  if (parsed.success) renderer.setLifecycle(parsed.data);
});

contextBridge.exposeInMainWorld(API_GLOBAL, bridgeable(renderer.api));
ipcRenderer.send(HELLO_CHANNEL);
