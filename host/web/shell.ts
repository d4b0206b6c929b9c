/**
 * The browser shell: a small Node process standing in for Electron's main and preload. It
 * starts its own real service, serves the renderer (built, or through Vite's dev server), and
 * gives each page the service's protocol over a WebSocket (see relay.ts and bridge.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { SOCKET_PATH } from './socket-path';
import { createRelay } from './relay';
import { startServiceProcess, type ServiceProcess } from '../service/fork';
import { securityHeaders, serveStatic } from './static-files';
import { MAX_WIRE_MESSAGE } from './wire';

export interface WebShellOptions {
  /** Address to bind. Default 127.0.0.1: the shell is a local app, not a server. */
  host?: string;
  /** 0 picks a free port. Default 5173. */
  port?: number;
  dataDir: string;
  name?: string;
  /** A plugins config file instead of plugins.config.ts. */
  config?: string;
  /** How long a connection request waits for the user (ms); the service's default is 30 s. */
  approvalTimeoutMs?: number;
  /** Serve through Vite's dev server (hot reload) instead of the build in `distDir`. */
  dev?: boolean;
  /** The built renderer (default dist/web; built first when missing). */
  distDir?: string;
  log?: (line: string) => void;
}

export interface WebShell {
  readonly url: string;
  readonly service: ServiceProcess;
  /** Resolves if the service ends on its own (not through `close`). */
  readonly serviceLost: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Close pages and the server, then stop the service. Idempotent. */
  close(): Promise<void>;
}

export async function startWebShell(options: WebShellOptions): Promise<WebShell> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[web] ${line}\n`));
  const bindHost = options.host ?? '127.0.0.1';
  const server = createServer();
  const render = options.dev ? await devRenderer(server) : await builtRenderer(options.distDir, log);

  const service = await startServiceProcess({
    dataDir: options.dataDir,
    ...(options.name ? { name: options.name } : {}),
    ...(options.config ? { config: options.config } : {}),
    approvalTimeoutMs: options.approvalTimeoutMs,
  }).catch(async (error: unknown) => {
    await render.close();
    throw error;
  });
  const relay = createRelay(service.port, log);
  let allowedHosts = new Set<string>();
  const trusted = (request: IncomingMessage) => allowedHosts.has(request.headers.host ?? '');

  server.on('request', (request, response) => {
    // A page on another site must not reach a local service through DNS rebinding.
    if (!trusted(request)) {
      response.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Unknown host');
      return;
    }
    const headers = securityHeaders(`http://${request.headers.host}`, options.dev);
    render.handle(request, response, headers);
  });

  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WIRE_MESSAGE,
  });
  // Past the handshake, ws listens for errors on each page's socket (relay.ts); these are the
  // ones before it: a page that drops its connection mid-upgrade, a server that cannot accept.
  sockets.on('error', (error) => log(`the page socket server failed: ${error.message}`));
  server.on('upgrade', (request, socket, head) => {
    socket.on('error', (error) => log(`a page's socket failed during the upgrade: ${error.message}`));
    const path = new URL(request.url ?? '/', 'http://shell').pathname;
    // Vite's dev server answers its own hot-reload socket on this server.
    if (path !== SOCKET_PATH) return options.dev ? undefined : socket.destroy();
    // Only pages this shell served may talk to its service.
    if (!trusted(request) || request.headers.origin !== `http://${request.headers.host}`) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => relay.attach(ws));
  });

  await listen(server, options.port ?? 5173, bindHost).catch(async (error: unknown) => {
    relay.close();
    await Promise.all([service.stop(), render.close()]);
    throw error;
  });
  server.on('error', (error) => log(`the server failed: ${error.message}`));
  const { port } = server.address() as AddressInfo;
  allowedHosts = new Set([`${bindHost}:${port}`, ...(bindHost === '127.0.0.1' ? [`localhost:${port}`] : [])]);

  let closing: Promise<void> | undefined;
  const serviceLost = service.exited.then((exit) => {
    if (!closing) relay.close(1011, 'the service stopped');
    return exit;
  });
  return {
    url: `http://${bindHost}:${port}/`,
    service,
    serviceLost: new Promise((resolve) => void serviceLost.then((exit) => !closing && resolve(exit))),
    close() {
      closing ??= (async () => {
        relay.close();
        sockets.close();
        server.closeAllConnections();
        await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), render.close(), service.stop()]);
      })();
      return closing;
    },
  };
}

interface Renderer {
  handle(request: IncomingMessage, response: import('node:http').ServerResponse, headers: Record<string, string>): void;
  close(): Promise<void>;
}

async function builtRenderer(distDir: string | undefined, log: (line: string) => void): Promise<Renderer> {
  const { WEB_DIST, webConfig } = await import('./vite.config');
  const root = distDir ?? WEB_DIST;
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    log(`no built renderer in ${root}: building it (npm run build:web)`);
    const { build } = await import('vite');
    await build({ ...webConfig(), configFile: false, logLevel: 'warn', build: { ...webConfig().build, outDir: root } });
  } else {
    // Started often, rebuilt only on request: an edited renderer needs `npm run build:web` (or --dev).
    log(`serving the renderer built ${statSync(index).mtime.toISOString()} in ${root} (npm run build:web rebuilds it; --dev serves the sources)`);
  }
  return { handle: (request, response, headers) => serveStatic(root, request, response, headers), close: async () => {} };
}

async function devRenderer(server: Server): Promise<Renderer> {
  const { createServer: createVite } = await import('vite');
  const { webConfig } = await import('./vite.config');
  const vite = await createVite({ ...webConfig(), configFile: false, appType: 'spa', server: { middlewareMode: true, hmr: { server } } });
  return {
    handle: (request, response, headers) => {
      for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
      vite.middlewares(request, response);
    },
    close: () => vite.close(),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
