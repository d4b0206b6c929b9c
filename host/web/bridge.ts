/**
 * The page side of the browser shell: what Electron's preload is to the app. Opens a WebSocket
 * to the shell that served the page and exposes the typed client over it as `window.whatnext`.
 * Loaded before the app's own script (see vite.config.ts).
 */
import { z } from 'zod';
import { API_GLOBAL, type WhatNextApi } from '../../core/protocol/api';
import type { ProtocolSpec } from '../../core/protocol/define';
import { createClient } from '../../core/protocol/client';
import type { Port } from '../../core/protocol/port';
import { SOCKET_PATH } from './socket-path';
import { WhatNextError } from '../../core/errors';
import { decodeWire, encodeWire, wireLimitProblem } from './wire';

// The page's policy forbids eval; tell zod not to try compiling validators with `new Function`.
z.config({ jitless: true });

function webSocketPort(url: string): Port {
  const socket = new WebSocket(url);
  const queued: string[] = [];
  socket.addEventListener('open', () => {
    for (const text of queued.splice(0)) socket.send(text);
  });
  return {
    send(message) {
      const text = encodeWire(message);
      // The shell closes a socket that sends more than it accepts; refuse this one request instead.
      const tooLarge = wireLimitProblem(text);
      if (tooLarge) throw new WhatNextError('too_large', `Not sent: ${tooLarge}.`);
      if (socket.readyState === WebSocket.OPEN) socket.send(text);
      else if (socket.readyState === WebSocket.CONNECTING) queued.push(text);
      else throw new Error('the connection to the WhatNext service is closed');
    },
    onMessage(listener) {
      const handler = (event: MessageEvent) => {
        if (typeof event.data !== 'string') return;
        let message: unknown;
        try {
          message = decodeWire(event.data);
        } catch {
          return console.warn('whatnext: ignored a message that is not JSON');
        }
        listener(message);
      };
      socket.addEventListener('message', handler);
      return () => socket.removeEventListener('message', handler);
    },
    onClose(listener) {
      socket.addEventListener('close', listener);
      return () => socket.removeEventListener('close', listener);
    },
  };
}

const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${SOCKET_PATH}`;
// Typed for any protocol: the app types it with the protocol of its plugins (renderer api.ts).
const client = createClient<ProtocolSpec>(webSocketPort(url), {
  onInvalidMessage: (error) => console.warn('whatnext: ignored an invalid message from the service', error),
});
const api: WhatNextApi<ProtocolSpec> = Object.freeze({ request: client.request, on: client.on });
Object.defineProperty(window, API_GLOBAL, { value: api, enumerable: true });
