/**
 * Serves the protocol on a port: every request is validated with zod before a handler sees it;
 * an invalid request gets an error response naming what was wrong, never a crash.
 */
import { z } from 'zod';
import { errorInfo } from '../../core/host/connections';
import { Request, RequestEnvelope, type MethodName, type Methods, type Result } from '../../core/protocol';
import type { Port } from '../../core/protocol/port';
import { describe } from '../../core/errors';

/** One handler per protocol method, typed from the method's schemas. */
export type Handlers = { [M in MethodName]: (params: z.output<Methods[M]['params']>) => Result<M> | Promise<Result<M>> };

export function serveRequests(port: Port, handlers: Handlers, log: (message: string) => void): () => void {
  // Whatever escapes answering one message is logged: thrown out of a port listener it would be
  // an unhandled rejection, which ends the service.
  return port.onMessage((raw) => void answer(raw).catch((error: unknown) => log(`a message on the port could not be answered: ${describe(error)}`)));

  async function answer(raw: unknown): Promise<void> {
    const envelope = RequestEnvelope.safeParse(raw);
    if (!envelope.success) {
      const id = typeof raw === 'object' && raw !== null && 'id' in raw ? (raw as { id: unknown }).id : null;
      return reply(port, {
        type: 'response',
        id: typeof id === 'string' || typeof id === 'number' ? id : null,
        ok: false,
        error: { code: 'bad_request', message: `Not a valid request: ${z.prettifyError(envelope.error)}` },
      });
    }
    const request = Request.safeParse(raw);
    if (!request.success) {
      return reply(port, {
        type: 'response',
        id: envelope.data.id,
        ok: false,
        error: { code: 'bad_request', message: `Invalid parameters for ${envelope.data.method}: ${z.prettifyError(request.error)}` },
      });
    }
    const { id, method, params } = request.data;
    try {
      const handler = handlers[method] as (params: unknown) => unknown;
      const result = await handler(params);
      reply(port, { type: 'response', id, ok: true, result: result ?? {} });
    } catch (error) {
      log(`request ${method} failed: ${describe(error)}`);
      reply(port, { type: 'response', id, ok: false, error: errorInfo(error) });
    }
  }
}

function reply(port: Port, message: unknown): void {
  try {
    port.send(message);
  } catch {
    // The client went away; nothing to answer.
  }
}

