/**
 * A typed client of the service protocol over any `Port`. Used by the CLI, tests, the browser
 * shell and Electron's main/preload alike. Messages from the service are validated too: a
 * client never trusts the other side of a process boundary.
 */
import { WhatNextError } from '../errors';
import { Emitter } from '../util/emitter';
import { jsonShapeProblem } from '../util/json-shape';
import { ServiceMessage, methods, type EventData, type EventName, type MethodName, type Params, type Result } from './index';
import type { Port } from './port';
import type { ErrorInfo } from './shapes';

/** An error response from the service, with its code (and stage, plugin, reason...). */
export class ServiceError extends WhatNextError {
  override name = 'ServiceError';
  constructor(readonly info: ErrorInfo) {
    super(info.code, info.message);
  }
}

export interface ServiceClient {
  request<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void;
  /** Resolves with the first event of that kind `predicate` accepts. */
  waitFor<E extends EventName>(event: E, predicate?: (data: EventData<E>) => boolean): Promise<EventData<E>>;
  /** Reject pending requests and stop listening. */
  close(reason?: string): void;
}

type EventMap = { [E in EventName]: EventData<E> };

export function createClient(port: Port, options: { onInvalidMessage?: (error: unknown) => void } = {}): ServiceClient {
  let nextId = 1;
  const pending = new Map<number, { method: MethodName; resolve(value: unknown): void; reject(error: Error): void }>();
  const emitter = new Emitter<EventMap>();
  let closed = false;

  const stop = port.onMessage((raw) => {
    const parsed = ServiceMessage.safeParse(raw);
    if (!parsed.success) return options.onInvalidMessage?.(parsed.error);
    const message = parsed.data;
    if (message.type === 'event') return emitter.emit(message.event, message.data as never);
    const entry = typeof message.id === 'number' ? pending.get(message.id) : undefined;
    if (!entry) return;
    pending.delete(message.id as number);
    if (!message.ok) return entry.reject(new ServiceError(message.error));
    const result = methods[entry.method].result.safeParse(message.result);
    if (result.success) entry.resolve(result.data);
    else entry.reject(new WhatNextError('bad_response', `invalid ${entry.method} response: ${result.error.message}`));
  });
  const stopClose = port.onClose?.(() => close('the service connection closed'));

  function close(reason = 'client closed'): void {
    if (closed) return;
    closed = true;
    stop();
    stopClose?.();
    for (const entry of pending.values()) entry.reject(new WhatNextError('disconnected', reason));
    pending.clear();
  }

  return {
    request(method, params) {
      if (closed) return Promise.reject(new WhatNextError('disconnected', 'the service connection is closed'));
      // The service would refuse it, or, nested deeply enough, never read it at all.
      const problem = jsonShapeProblem(params);
      if (problem) return Promise.reject(new WhatNextError('bad_request', `Not sent: the parameters of ${method} ${problem}.`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject });
        try {
          port.send({ type: 'request', id, method, params });
        } catch (error) {
          pending.delete(id);
          reject(error as Error);
        }
      });
    },
    on: (event, listener) => emitter.on(event, listener),
    waitFor(event, predicate) {
      return new Promise((resolve) => {
        const off = emitter.on(event, (data) => {
          if (predicate && !predicate(data)) return;
          off();
          resolve(data);
        });
      });
    },
    close,
  };
}

