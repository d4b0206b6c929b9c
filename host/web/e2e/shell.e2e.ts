/**
 * The browser shell as a process: what it serves, who may use its socket, how it relays and
 * validates, and that it exits 0 and ends its service on SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MAX_WIRE_MESSAGE, decodeWire, encodeWire } from '../wire';
import { endEverything, FIXTURES, isAlive, launchBrowser, openApp, startShell, type Shell } from '../testing/harness';

const SOCKET_PATH = '/__whatnext/ws';

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
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

/** A socket upgraded by hand, so a test can write frames no WebSocket client would. */
function rawSocket(shell: Shell): Promise<Socket> {
  const { hostname, port, host } = new URL(shell.url);
  const socket = connect(Number(port), hostname);
  socket.write(
    [
      `GET ${SOCKET_PATH} HTTP/1.1`,
      `Host: ${host}`,
      `Origin: ${new URL(shell.url).origin}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ].join('\r\n'),
  );
  return new Promise((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

const MASK = Buffer.alloc(4); // a zero mask leaves the payload as written
const hi = Buffer.from('hi');
const longLength = Buffer.alloc(8);
longLength.writeBigUInt64BE(BigInt(MAX_WIRE_MESSAGE + 1));

/** Frames `ws` refuses: each must end that page's socket, never the shell. */
const MALFORMED_FRAMES: [string, Buffer][] = [
  ['larger than the limit', Buffer.concat([Buffer.from([0x81, 0x80 | 127]), longLength, MASK])],
  ['text that is not UTF-8', Buffer.concat([Buffer.from([0x81, 0x80 | 2]), MASK, Buffer.from([0xff, 0xfe])])],
  ['unmasked', Buffer.concat([Buffer.from([0x81, 2]), hi])],
  ['RSV1 set without an extension', Buffer.concat([Buffer.from([0xc1, 0x80 | 2]), MASK, hi])],
  ['opcode 3', Buffer.concat([Buffer.from([0x83, 0x80 | 2]), MASK, hi])],
  ['close code 999', Buffer.concat([Buffer.from([0x88, 0x80 | 2]), MASK, Buffer.from([0x03, 0xe7])])],
  ['a fragmented ping', Buffer.concat([Buffer.from([0x09, 0x80]), MASK])],
  ['a continuation with nothing to continue', Buffer.concat([Buffer.from([0x80, 0x80 | 2]), MASK, hi])],
];

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

      // A byte tag that does not decode: still answered with the request's own id, so the page's
      // pending request settles.
      const badBytes = nextResponse(socket, 9);
      socket.send('{"type":"request","id":9,"method":"connections.send","params":{"connectionId":"c","channel":"x","message":{"$whatnext:bytes":"!!"}}}');
      expect(await badBytes).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      const truncated = nextResponse(socket, 10);
      socket.send('{"type":"request","id":10,"method":"service.status","params":{');
      expect(await truncated).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    } finally {
      socket.close();
    }
  });

  it('ends a page socket that sends a malformed frame, and keeps serving the others', async () => {
    for (const [fault, frame] of MALFORMED_FRAMES) {
      const socket = await rawSocket(shell);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => {}); // the shell may reset it
      socket.write(frame);
      await closed;
      const healthy = await openSocket(shell);
      try {
        const answer = nextResponse(healthy, 1);
        healthy.send(encodeWire({ type: 'request', id: 1, method: 'service.status', params: {} }));
        expect(await answer, `after a frame ${fault}`).toMatchObject({ ok: true, result: { state: 'running' } });
      } finally {
        healthy.close();
      }
    }
    expect(isAlive(shell.child.pid!)).toBe(true);
    expect(shell.output()).toContain("closed a page's socket");
  });

  it('carries a 5 MiB message from the page, and refuses a larger one there with a typed error', async () => {
    const browser = await launchBrowser();
    const { page } = await openApp(browser, shell);
    const attempt = (size: number) =>
      page.evaluate(async (length) => {
        try {
          await window.whatnext!.request('connections.send', { connectionId: 'nobody', channel: 'chat', message: 'x'.repeat(length) });
          return 'sent';
        } catch (error) {
          return `${(error as { code?: string }).code}: ${(error as Error).message}`;
        }
      }, size);
    // The service got it whole: it answers that no such connection is open.
    expect(await attempt(5 * 2 ** 20)).toMatch(/^unknown_connection: /);
    expect(await attempt(MAX_WIRE_MESSAGE + 1)).toMatch(
      /^too_large: Not sent: the message is 16\.0 MiB once encoded; the browser shell carries at most 16\.0 MiB per message\.$/,
    );
    // The page's socket is still open.
    expect(await page.evaluate(async () => ((await window.whatnext!.request('service.status', {})) as { state: string }).state)).toBe('running');
    await browser.close();
  });

  it("relays a feature plugin's own method and event, which only the service knows", async () => {
    const featured = await startShell({
      name: 'Featured',
      config: fileURLToPath(new URL('../../service/testing/fixtures/feature.config.ts', import.meta.url)),
    });
    const socket = await openSocket(featured);
    try {
      const said = new Promise<Record<string, unknown>>((resolve) =>
        socket.on('message', (data: Buffer) => {
          const message = decodeWire(data.toString()) as Record<string, unknown>;
          if (message.type === 'event' && message.event === 'echo.said') resolve(message);
        }),
      );
      const answer = nextResponse(socket, 1);
      socket.send(encodeWire({ type: 'request', id: 1, method: 'echo.say', params: { text: 'over the shell' } }));
      expect(await answer).toMatchObject({ ok: true, result: { said: 'over the shell', count: 1 } });
      expect(await said).toMatchObject({ data: { text: 'over the shell' } });
      const refused = nextResponse(socket, 2);
      socket.send(encodeWire({ type: 'request', id: 2, method: 'echo.say', params: { text: 7 } }));
      expect(await refused).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('Invalid parameters for echo.say') } });
    } finally {
      socket.close();
      await featured.stop();
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
