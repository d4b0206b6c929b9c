/**
 * Relays between browser pages (WebSockets) and the shell's service (one IPC port), standing in
 * for Electron's main + preload. Both directions are validated with the protocol's schemas:
 * a page gets an error response for a malformed request (it never reaches the service; a
 * plugin's method is checked by the service, against the plugin's schema), and a malformed
 * service message is dropped with a log line.
 *
 * Every page numbers its own requests, so ids are remapped on the way in and restored on the
 * way out; a response goes back only to the page that asked; events go to every page.
 *
 * A page's socket is untrusted: a frame `ws` cannot accept (malformed, oversized, invalid
 * UTF-8) ends that socket with its close code and a log line, never the shell.
 */
import type { WebSocket } from 'ws';
import { describeIssues } from '../../core/util/issues';
import { Request, RequestEnvelope, ServiceMessage, isMethodName, type RequestId } from '../../core/protocol';
import type { Port } from '../../core/protocol/port';
import { describe } from '../../core/errors';
import { decodeWire, encodeWire, wireLimitProblem } from './wire';

interface Pending {
  socket: WebSocket;
  id: RequestId;
}

export interface Relay {
  /** Serve one page's socket until it closes. */
  attach(socket: WebSocket): void;
  /** How many pages are attached. */
  readonly size: number;
  /** Stop relaying and close every page's socket. */
  close(code?: number, reason?: string): void;
}

export function createRelay(service: Port, log: (message: string) => void): Relay {
  const sockets = new Set<WebSocket>();
  const pending = new Map<number, Pending>();
  let nextId = 1;

  const send = (socket: WebSocket, message: unknown) => {
    if (socket.readyState !== socket.OPEN) return;
    const text = encodeWire(message);
    const tooLarge = wireLimitProblem(text);
    if (!tooLarge) return socket.send(text);
    log(`did not send a message to a page: ${tooLarge}`);
    // The page waits for its answer: tell it why there is none.
    const { type, id } = message as { type?: unknown; id?: unknown };
    if (type === 'response')
      socket.send(encodeWire({ type, id, ok: false, error: { code: 'too_large', message: `The answer could not be sent: ${tooLarge}.` } }));
  };

  const stopService = service.onMessage((raw) => {
    const parsed = ServiceMessage.safeParse(raw);
    if (!parsed.success) return log(`dropped an invalid message from the service: ${describeIssues(parsed.error)}`);
    const message = parsed.data;
    if (message.type === 'event') {
      for (const socket of sockets) send(socket, raw);
      return;
    }
    const entry = typeof message.id === 'number' ? pending.get(message.id) : undefined;
    if (!entry) return log(`dropped a response nobody waits for (id ${String(message.id)})`);
    pending.delete(message.id as number);
    send(entry.socket, { ...(raw as object), id: entry.id });
  });

  function fromPage(socket: WebSocket, text: string): void {
    let raw: unknown;
    try {
      raw = decodeWire(text);
    } catch (error) {
      return send(socket, refusal(readableId(text), `Not a valid request: ${describe(error)}.`));
    }
    const envelope = RequestEnvelope.safeParse(raw);
    if (!envelope.success) {
      const id = typeof raw === 'object' && raw !== null ? requestIdOrNull((raw as { id?: unknown }).id) : null;
      return send(socket, refusal(id, `Not a valid request: ${describeIssues(envelope.error)}`));
    }
    // Core's methods are checked here; a plugin's, by the service, which knows its schemas.
    const request = isMethodName(envelope.data.method) ? Request.safeParse(raw) : undefined;
    if (request && !request.success) {
      return send(socket, refusal(envelope.data.id, `Invalid parameters for ${envelope.data.method}: ${describeIssues(request.error)}`));
    }
    const id = nextId++;
    pending.set(id, { socket, id: envelope.data.id });
    try {
      service.send({ ...(raw as object), id });
    } catch {
      pending.delete(id);
      send(socket, { type: 'response', id: envelope.data.id, ok: false, error: { code: 'disconnected', message: 'The WhatNext service is not running.' } });
    }
  }

  function detach(socket: WebSocket): void {
    sockets.delete(socket);
    for (const [id, entry] of pending) if (entry.socket === socket) pending.delete(id);
  }

  return {
    attach(socket) {
      sockets.add(socket);
      socket.on('message', (data, isBinary) => {
        if (isBinary) return send(socket, refusal(null, 'Not a valid request: expected a text message.'));
        try {
          fromPage(socket, data.toString());
        } catch (error) {
          log(`a message from a page could not be relayed: ${describe(error)}`);
        }
      });
      // ws closes the socket itself after an error (with 1002, 1007 or 1009); unheard, the error
      // would end the shell.
      socket.on('error', (error) => log(`closed a page's socket: ${error.message}`));
      socket.once('close', () => detach(socket));
    },
    get size() {
      return sockets.size;
    },
    close(code = 1001, reason = 'the shell is stopping') {
      stopService();
      for (const socket of sockets) socket.close(code, reason);
      sockets.clear();
      pending.clear();
    },
  };
}

function refusal(id: RequestId | null, message: string) {
  return { type: 'response', id, ok: false, error: { code: 'bad_request', message } };
}

function requestIdOrNull(value: unknown): RequestId | null {
  return typeof value === 'string' || typeof value === 'number' ? value : null;
}

/** The id of a request that could not be decoded, where it can still be read, so the page's
 * pending request settles: from the plain JSON (a byte tag may be what failed), else from the
 * start of the text, where the page's client writes it. */
function readableId(text: string): RequestId | null {
  try {
    const plain: unknown = JSON.parse(text);
    if (typeof plain === 'object' && plain !== null) return requestIdOrNull((plain as { id?: unknown }).id);
  } catch {
    // Not JSON at all: look where the client puts the id.
  }
  const match = /^\{"type":"request","id":(?:(\d{1,15})|"([\w-]{1,64})")[,}]/.exec(text);
  if (!match) return null;
  return match[1] !== undefined ? Number(match[1]) : match[2]!;
}
