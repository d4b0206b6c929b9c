/**
 * The browser shell as a process: what it serves, who may use its socket, how it relays and
 * validates, and that it exits 0 and ends its service on SIGTERM.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeWire, encodeWire } from '../wire';
import { endEverything, FIXTURES, isAlive, startShell, type Shell } from './harness';

const SOCKET_PATH = '/__whatnext/ws';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

function openSocket(shell: Shell, origin = new URL(shell.url).origin): Promise<WebSocket> {
  const socket = new WebSocket(`${shell.url.replace(/^http/, 'ws').replace(/\/$/, '')}${SOCKET_PATH}`, { origin });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
  });
}

function nextResponse(socket: WebSocket, id: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const message = decodeWire(data.toString()) as Record<string, unknown>;
      if (message.type === 'response' && message.id === id) {
        socket.off('message', onMessage);
        resolve(message);
      }
    };
    socket.on('message', onMessage);
  });
}

describe('browser shell process', () => {
  let shell: Shell;
  beforeAll(async () => {
    shell = await startShell({ name: 'Shelly', config: `${FIXTURES}manual-tcp.config.ts` });
  });
  afterAll(async () => {
    // Ends every browser, shell and broker this file started, even after a failure.
    await endEverything();
  });

  it('binds to loopback and serves the app with a strict content security policy', async () => {
    expect(new URL(shell.url).hostname).toBe('127.0.0.1');
    const page = await get(shell.url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="app">');
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline scripts
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses requests for another host name (DNS rebinding)', async () => {
    const port = new URL(shell.url).port;
    expect((await get(shell.url, { Host: `attacker.example:${port}` })).status).toBe(421);
  });

  it("refuses a socket from another site's page", async () => {
    await expect(openSocket(shell, 'http://attacker.example')).rejects.toThrow(/403/);
  });

  it('relays requests, keeping two pages’ request ids apart', async () => {
    const [a, b] = await Promise.all([openSocket(shell), openSocket(shell)]);
    try {
      const answers = Promise.all([nextResponse(a, 1), nextResponse(b, 1)]);
      a.send(encodeWire({ type: 'request', id: 1, method: 'service.status', params: {} }));
      b.send(encodeWire({ type: 'request', id: 1, method: 'settings.get', params: {} }));
      const [status, settings] = await answers;
      expect(status).toMatchObject({ ok: true, result: { local: { name: 'Shelly' } } });
      expect(settings).toMatchObject({ ok: true, result: { displayName: 'Shelly' } });
    } finally {
      a.close();
      b.close();
    }
  });

  it('answers malformed requests with an error instead of passing them on', async () => {
    const socket = await openSocket(shell);
    try {
      const unknownMethod = nextResponse(socket, 7);
      socket.send(encodeWire({ type: 'request', id: 7, method: 'fs.readFile', params: { path: '/etc/passwd' } }));
      expect(await unknownMethod).toMatchObject({ ok: false, error: { code: 'bad_request' } });

      const badParams = nextResponse(socket, 8);
      socket.send(encodeWire({ type: 'request', id: 8, method: 'attempts.approve', params: { attemptId: 42 } }));
      expect(await badParams).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('attempts.approve') } });

      const notJson = nextResponse(socket, null);
      socket.send('{not json');
      expect(await notJson).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    } finally {
      socket.close();
    }
  });

  it('sends service events to every page', async () => {
    const socket = await openSocket(shell);
    try {
      const changed = new Promise<Record<string, unknown>>((resolve) =>
        socket.on('message', (data: Buffer) => {
          const message = decodeWire(data.toString()) as Record<string, unknown>;
          if (message.type === 'event' && message.event === 'settings.changed') resolve(message);
        }),
      );
      socket.send(encodeWire({ type: 'request', id: 1, method: 'settings.update', params: { autoAcceptKnownPeers: true } }));
      expect(await changed).toMatchObject({ data: { autoAcceptKnownPeers: true } });
    } finally {
      socket.close();
    }
  });

  it('exits 0 on SIGTERM and ends its service', async () => {
    const servicePid = shell.servicePid;
    expect(isAlive(servicePid)).toBe(true);
    expect(await shell.stop()).toBe(0);
    expect(isAlive(servicePid)).toBe(false);
  });
});
