/**
 * A local PeerJS broker (the `peer` package's PeerServer) for development and tests.
 *
 *   npm run broker -- --port 9000 [--host 127.0.0.1] [--path /whatnext] [--key peerjs]
 *
 * `startBroker()` runs the server in a worker thread. `peer` 1.0.2 arms two self-renewing
 * timers when it mounts (dead-client checks every 300 ms, message expiry every second) and has
 * no way to stop them, so an in-thread PeerServer keeps a Node process alive forever after
 * its HTTP server closes. Terminating the worker ends the server, its sockets and its timers.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { BrokerHost, BrokerKey, BrokerPath } from './options';

export const BrokerOptions = z.object({
  /** 0, the default, picks a free port: a broker started by code (a test, the bench) never takes
   * the port a developer's own broker listens on. `npm run broker` asks for 9000. */
  port: z.number().int().min(0).max(65535).default(0),
  /** The address to bind: loopback unless told otherwise. */
  host: BrokerHost.default('127.0.0.1'),
  path: BrokerPath.default('/whatnext'),
  key: BrokerKey.default('peerjs'),
});
export type BrokerOptions = z.input<typeof BrokerOptions>;

export interface Broker {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly key: string;
  /** Always false: the local broker speaks plain ws:// (put a TLS proxy in front for wss://). */
  readonly secure: false;
  /** Where clients connect: `ws://host:port/path`. */
  readonly url: string;
  /** Stop the server, drop its connections and end its thread. Idempotent. */
  close(): Promise<void>;
}

/** The CommonJS build of `peer`, and the express it uses itself. */
function serverEntries(): { peerEntry: string; expressEntry: string } {
  const peerEntry = createRequire(import.meta.url).resolve('peer');
  return { peerEntry, expressEntry: createRequire(peerEntry).resolve('express') };
}

/** Plain CommonJS, evaluated in the worker (no TypeScript loader needed there). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { ExpressPeerServer } = require(workerData.peerEntry);
const express = require(workerData.expressEntry);
const { host, port, path, key } = workerData.options;
const server = http.createServer();
const app = express();
const peer = ExpressPeerServer(server, { path: '/', key, allow_discovery: false, proxied: false });
peer.on('error', (error) => parentPort.postMessage({ type: 'log', message: String(error && error.message || error) }));
app.use(path, peer);
server.on('request', app);
server.on('error', (error) => parentPort.postMessage({ type: 'error', message: error.message, code: error.code }));
server.listen(port, host, () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
`;

type WorkerMessage = { type: 'listening'; port: number } | { type: 'error'; message: string; code?: string } | { type: 'log'; message: string };

export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const { host, port, path, key } = BrokerOptions.parse(options);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { ...serverEntries(), options: { host: host.replace(/^\[(.*)\]$/, '$1'), port, path, key } },
    stdout: false,
    stderr: false,
  });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= worker.terminate().then(() => undefined));

  const bound = await new Promise<number>((resolveStart, rejectStart) => {
    const onExit = (code: number) => rejectStart(new Error(`The PeerJS broker stopped while starting (exit code ${code}).`));
    worker.once('error', rejectStart);
    worker.once('exit', onExit);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'listening') {
        worker.off('error', rejectStart);
        worker.off('exit', onExit);
        resolveStart(message.port);
      } else if (message.type === 'error') {
        rejectStart(new Error(`The PeerJS broker could not listen on ${host}:${port}: ${message.message}`));
      }
    });
  }).catch(async (error: unknown) => {
    await close();
    throw error;
  });
  // A broker that dies later (it should not) must not take the process down with it.
  worker.on('error', (error: Error) => process.emitWarning(`PeerJS broker thread failed: ${error.message}`));

  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return Object.freeze({ host, port: bound, path, key, secure: false as const, url: `ws://${shownHost}:${bound}${path}`, close });
}
