/**
 * The preload's logic, without Electron: the `WhatNextApi` object the page sees, built with
 * `createClient` over whichever service port main handed over last.
 *
 * - Requests made before a port arrives (or while the service restarts) wait in a bounded
 *   queue and go out on the next port. Requests in flight when a port dies are rejected
 *   (`disconnected`): they may have had effects, so they are never silently re-sent.
 * - Event subscriptions belong to the API, not to a port, so they survive restarts.
 * - The page also learns about restarts through `host.state` events: `starting` while the
 *   service restarts, the new service's state once its port arrives, `stopped` if main gave up.
 * - Method and event names are checked for their form here; which exist is the service's to say
 *   (plugins add their own), so a well-formed unknown method is refused by the service.
 */
import { ServiceError, createClient, type ServiceClient } from '../../core/protocol/client';
import { describe } from '../../core/errors';
import { PROTOCOL_NAME, events as eventSchemas, type CoreProtocol, type ProtocolSpec } from '../../core/protocol';
import type { WhatNextApi } from '../../core/protocol/api';
import type { Port } from '../../core/protocol/port';
import type { ErrorInfo } from '../../core/protocol/shapes';
import { Emitter } from '../../core/util/emitter';
import type { ServiceLifecycle } from './shell-channels';

/** A DOM `MessagePort` as the preload gets it (Node's worker_threads port fits too). */
export interface RendererPort {
  postMessage(message: unknown): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
  start(): void;
  close(): void;
}

export interface RendererApiOptions {
  /** Requests that may wait for a port; more are refused (`busy`). */
  queueLimit?: number;
  log?: (message: string) => void;
}

export interface RendererApi<P extends ProtocolSpec = CoreProtocol> {
  /** Typed with `P`: the page's protocol (the preload, serving any page, gives `ProtocolSpec`). */
  readonly api: WhatNextApi<P>;
  /** A new port from main: replaces the current one. */
  attach(port: RendererPort): void;
  /** The supervisor's status, from main. */
  setLifecycle(status: ServiceLifecycle): void;
  readonly connected: boolean;
}

type Waiting = { method: string; params: unknown; resolve(value: unknown): void; reject(error: unknown): void };

const wellFormed = (name: unknown): name is string => typeof name === 'string' && PROTOCOL_NAME.test(name);
const chain = (first: () => void, second: () => void) => () => {
  first();
  second();
};

const CORE_EVENTS = Object.keys(eventSchemas);

export function createRendererApi<P extends ProtocolSpec = CoreProtocol>(options: RendererApiOptions = {}): RendererApi<P> {
  const log = options.log ?? (() => {});
  const queueLimit = options.queueLimit ?? 256;
  const emitter = new Emitter<Record<string, unknown>>((error) => log(`a whatnext event listener threw: ${describe(error)}`));
  /** Events forwarded from every port: core's, and those the page subscribed to since. */
  const forwarded = new Set(CORE_EVENTS);
  const waiting: Waiting[] = [];
  let current: { port: RendererPort; client: ServiceClient<ProtocolSpec>; stop: () => void } | undefined;
  let failure: ErrorInfo | undefined;

  function detach(reason: string): void {
    if (!current) return;
    const { port, client, stop } = current;
    current = undefined;
    stop();
    client.close(reason);
    port.close();
  }

  function attach(port: RendererPort): void {
    detach('replaced by a newer service connection');
    failure = undefined;
    const client = createClient<ProtocolSpec>(domPort(port), { onInvalidMessage: (error) => log(`invalid message from the service: ${describe(error)}`) });
    const offs = [...forwarded].map((name) => forward(client, name));
    const offClose = domPort(port).onClose!(() => {
      if (current?.client !== client) return;
      detach('the service connection closed');
    });
    current = { port, client, stop: () => [...offs, offClose].forEach((off) => off()) };
    // The new service announced its state before this port existed: say it again.
    client.request('service.status', {}).then(
      (status) => current?.client === client && emitter.emit('host.state', (status as { state: string }).state),
      () => {},
    );
    for (const entry of waiting.splice(0)) client.request(entry.method, entry.params).then(entry.resolve, entry.reject);
  }

  function forward(client: ServiceClient<ProtocolSpec>, event: string): () => void {
    return client.on(event, (data) => emitter.emit(event, data));
  }

  function setLifecycle(status: ServiceLifecycle): void {
    switch (status.state) {
      case 'starting':
        emitter.emit('host.state', 'starting');
        break;
      case 'restarting':
        // The old service is gone; do not wait for its port to report the close.
        detach('the service stopped; it is restarting');
        emitter.emit('host.state', 'starting');
        break;
      case 'failed':
        detach('the service failed');
        failure = { code: 'service_failed', message: status.message };
        for (const entry of waiting.splice(0)) entry.reject(new ServiceError(failure));
        emitter.emit('host.state', 'stopped');
        break;
      case 'stopping':
      case 'stopped':
        emitter.emit('host.state', status.state);
        break;
      default:
        break; // 'running' is announced when its port arrives
    }
  }

  const api: WhatNextApi<ProtocolSpec> = {
    request(method: string, params: unknown): Promise<unknown> {
      if (!wellFormed(method)) return Promise.reject(new ServiceError({ code: 'bad_request', message: `There is no method named "${String(method)}".` }));
      if (current) return current.client.request(method, params);
      if (failure) return Promise.reject(new ServiceError(failure));
      if (waiting.length >= queueLimit) {
        return Promise.reject(new ServiceError({ code: 'busy', message: 'Too many requests are waiting for the service to start.' }));
      }
      return new Promise((resolve, reject) => waiting.push({ method, params, resolve, reject }));
    },
    on(event: string, listener: (data: unknown) => void): () => void {
      if (!wellFormed(event)) throw new TypeError(`There is no event named "${String(event)}".`);
      if (typeof listener !== 'function') throw new TypeError('The listener must be a function.');
      if (!forwarded.has(event)) {
        forwarded.add(event);
        if (current) current.stop = chain(current.stop, forward(current.client, event));
      }
      return emitter.on(event, listener);
    },
  };

  return {
    // One implementation for every protocol: names and data are checked at run time.
    api: api as unknown as WhatNextApi<P>,
    attach,
    setLifecycle,
    get connected() {
      return current !== undefined;
    },
  };
}

/**
 * The object handed to `contextBridge`. The bridge copies an Error's message but drops its
 * other fields, so rejections cross as plain objects with the same fields a `ServiceError`
 * has (`name`, `code`, `message`, `info`), and listeners get the event data only.
 */
export function bridgeable(api: WhatNextApi<ProtocolSpec>): WhatNextApi<ProtocolSpec> {
  return {
    request: (method, params) => api.request(method, params).catch((error: unknown) => Promise.reject(plainError(error))),
    on: (event, listener) => {
      const off = api.on(event, (data) => listener(data));
      return () => off();
    },
  };
}

export function plainError(error: unknown): { name: string; code: string; message: string; info: ErrorInfo } {
  if (error instanceof ServiceError) return { name: error.name, code: error.code, message: error.message, info: error.info };
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'error';
  const message = describe(error);
  return { name: error instanceof Error ? error.name : 'Error', code, message, info: { code, message } };
}

function domPort(port: RendererPort): Port {
  return {
    send: (message) => port.postMessage(message),
    onMessage: (listener) => {
      const handler = (event: Event) => listener((event as MessageEvent).data);
      port.addEventListener('message', handler);
      port.start(); // a DOM port queues messages until started
      return () => port.removeEventListener('message', handler);
    },
    onClose: (listener) => {
      const handler = () => listener();
      port.addEventListener('close', handler);
      return () => port.removeEventListener('close', handler);
    },
  };
}
