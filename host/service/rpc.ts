/**
 * Serves the protocol on a port: every request is validated with zod before a handler sees it;
 * an invalid request gets an error response naming what was wrong, never a crash. Core's methods
 * go to the service's handlers; a plugin's to the plugin host, which validates them against the
 * plugin's own schemas.
 */
import { z } from 'zod';
import { describeIssues } from '../../core/util/issues';
import { errorInfo } from '../../core/kernel/connections';
import { Request, RequestEnvelope, isMethodName, type MethodName, type Methods, type Result } from '../../core/protocol';
import type { Port } from '../../core/protocol/port';
import { describe } from '../../core/errors';

/** One handler per protocol method, typed from the method's schemas. */
export type Handlers = { [M in MethodName]: (params: z.output<Methods[M]['params']>) => Result<M> | Promise<Result<M>> };

/** Who answers what: core's methods, and the methods plugins declared. */
export interface Answerers {
  core: Handlers;
  plugins: { hasMethod(method: string): boolean; call(method: string, params: unknown): Promise<unknown> };
}

export function serveRequests(port: Port, answerers: Answerers, log: (level: 'debug' | 'warn', message: string) => void): () => void {
  // Whatever escapes answering one message is logged: thrown out of a port listener it would be
  // an unhandled rejection, which ends the service.
  return port.onMessage((raw) => void answer(raw).catch((error: unknown) => log('warn', `a message on the port could not be answered: ${describe(error)}`)));

  async function answer(raw: unknown): Promise<void> {
    const envelope = RequestEnvelope.safeParse(raw);
    if (!envelope.success) {
      const id = typeof raw === 'object' && raw !== null && 'id' in raw ? (raw as { id: unknown }).id : null;
      return reply(port, {
        type: 'response',
        id: typeof id === 'string' || typeof id === 'number' ? id : null,
        ok: false,
        error: { code: 'bad_request', message: `Not a valid request: ${describeIssues(envelope.error)}` },
      });
    }
    const { id, method } = envelope.data;
    let answer: () => unknown;
    if (isMethodName(method)) {
      const request = Request.safeParse(raw);
      if (!request.success) return refuse(id, `Invalid parameters for ${method}: ${describeIssues(request.error)}`);
      answer = () => (answerers.core[method] as (params: unknown) => unknown)(request.data.params);
    } else if (answerers.plugins.hasMethod(method)) {
      answer = () => answerers.plugins.call(method, envelope.data.params);
    } else {
      return refuse(id, `Not a valid request: there is no method "${method}".`);
    }
    try {
      const result = await answer();
      reply(port, { type: 'response', id, ok: true, result: result ?? {} });
    } catch (error) {
      const info = errorInfo(error);
      // A refusal with a code of its own is the answer the client gets (a bad import line, a
      // playlist it may not delete); only an error without one is worth a warning here.
      log(info.code === 'internal_error' ? 'warn' : 'debug', `request ${method} failed: ${describe(error)}`);
      reply(port, { type: 'response', id, ok: false, error: info });
    }
  }

  function refuse(id: unknown, message: string): void {
    reply(port, { type: 'response', id, ok: false, error: { code: 'bad_request', message } });
  }
}

function reply(port: Port, message: unknown): void {
  try {
    port.send(message);
  } catch {
    // The client went away; nothing to answer.
  }
}
