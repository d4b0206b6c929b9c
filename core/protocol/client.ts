/**
 * A typed client of the service protocol over any `Port`. Used by the CLI, tests, the browser
 * shell and Electron's main/preload alike. Messages from the service are validated too: a
 * client never trusts the other side of a process boundary.
 */
import { WhatNextError } from '../errors';
import { Emitter } from '../util/emitter';
import { jsonShapeProblem } from '../util/json-shape';
import { ServiceMessage, events, methods, type CoreProtocol } from './index';
import type { EventDataOf, EventNameOf, MethodNameOf, ParamsOf, ProtocolSpec, ResultOf } from './define';
import type { Port } from './port';
import type { ErrorInfo } from './shapes';

/** An error response from the service, with its code (and stage, plugin, reason...). */
export class ServiceError extends WhatNextError {
  override name = 'ServiceError';
  constructor(readonly info: ErrorInfo) {
    super(info.code, info.message);
  }
}

export interface ServiceClient<P extends ProtocolSpec = CoreProtocol> {
  request<M extends MethodNameOf<P>>(method: M, params: ParamsOf<P, M>): Promise<ResultOf<P, M>>;
  on<E extends EventNameOf<P>>(event: E, listener: (data: EventDataOf<P, E>) => void): () => void;
  /** Resolves with the first event of that kind `predicate` accepts. */
  waitFor<E extends EventNameOf<P>>(event: E, predicate?: (data: EventDataOf<P, E>) => boolean): Promise<EventDataOf<P, E>>;
  /** Reject pending requests and stop listening. */
  close(reason?: string): void;
}

export interface ClientOptions {
  /** Protocols of plugins whose answers and events this client checks too (core's always). An
   * answer of a method it has no schema for is taken as the service checked it. */
  protocols?: readonly ProtocolSpec[];
  onInvalidMessage?: (error: unknown) => void;
}

/** A client typed with `P`: core's protocol, or a config's (`ProtocolOf`). */
export function createClient<P extends ProtocolSpec = CoreProtocol>(port: Port, options: ClientOptions = {}): ServiceClient<P> {
  let nextId = 1;
  const known: ProtocolSpec[] = [{ methods, events }, ...(options.protocols ?? [])];
  const methodDef = (name: string) => known.find((p) => Object.hasOwn(p.methods, name))?.methods[name];
  const eventSchema = (name: string) => known.find((p) => Object.hasOwn(p.events, name))?.events[name];
  const pending = new Map<number, { method: string; resolve(value: unknown): void; reject(error: Error): void }>();
  const emitter = new Emitter<Record<string, unknown>>();
  let closed = false;

  const stop = port.onMessage((raw) => {
    const parsed = ServiceMessage.safeParse(raw);
    if (!parsed.success) return options.onInvalidMessage?.(parsed.error);
    const message = parsed.data;
    if (message.type === 'event') {
      const schema = eventSchema(message.event);
      const data = schema ? schema.safeParse(message.data) : { success: true as const, data: message.data };
      if (!data.success) return options.onInvalidMessage?.(data.error);
      return emitter.emit(message.event, data.data);
    }
    const entry = typeof message.id === 'number' ? pending.get(message.id) : undefined;
    if (!entry) return;
    pending.delete(message.id as number);
    if (!message.ok) return entry.reject(new ServiceError(message.error));
    const result = methodDef(entry.method)?.result.safeParse(message.result) ?? { success: true as const, data: message.result };
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
    on: (event, listener) => emitter.on(event, listener as (data: unknown) => void),
    waitFor(event, predicate) {
      return new Promise((resolve) => {
        const off = emitter.on(event, (data) => {
          if (predicate && !predicate(data as never)) return;
          off();
          resolve(data as never);
        });
      });
    },
    close,
  };
}
