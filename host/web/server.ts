/**
 * `npm run web -- --port 5173 --name Alice [--data-dir DIR] [--config PATH] [--host 127.0.0.1] [--approval-timeout-ms MS] [--dist DIR] [--dev]`
 *
 * Starts the browser shell: its own service, the renderer and the WebSocket bridge. Prints
 * `WhatNext web shell listening on http://...` once a browser can open it. Exits 0 after a clean
 * stop on SIGTERM/SIGINT (ending its service), 1 if the service dies under it.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describe } from '../../core/errors';
import { positiveInt } from '../service/options';
import { guardProcess } from '../service/process-guards';
import { startWebShell } from './shell';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    port: { type: 'string', default: '5173' },
    host: { type: 'string', default: '127.0.0.1' },
    name: { type: 'string' },
    'data-dir': { type: 'string' },
    config: { type: 'string' },
    'approval-timeout-ms': { type: 'string' },
    dist: { type: 'string' },
    dev: { type: 'boolean', default: false },
  },
  strict: true,
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`--port must be a port number (0 picks a free one), not "${values.port}"\n`);
  process.exit(2);
}

let approvalTimeoutMs: number | undefined;
try {
  approvalTimeoutMs = positiveInt(values['approval-timeout-ms'], '--approval-timeout-ms');
} catch (error) {
  process.stderr.write(`${describe(error)}\n`);
  process.exit(2);
}

/** Without --data-dir each name gets its own folder under .data/, so two shells never share one. */
const slug =
  (values.name ?? 'default')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'default';
const dataDir = resolve(values['data-dir'] ?? resolve(REPO, '.data', `web-${slug}`));

const shell = await startWebShell({
  host: values.host,
  port,
  dataDir,
  dev: values.dev,
  ...(values.name ? { name: values.name } : {}),
  ...(values.config ? { config: resolve(values.config) } : {}),
  ...(values.dist ? { distDir: resolve(values.dist) } : {}),
  approvalTimeoutMs,
}).catch((error: unknown) => {
  process.stderr.write(`[web] could not start: ${describe(error)}\n`);
  process.exit(1);
});
process.stdout.write(`WhatNext web shell listening on ${shell.url} (service pid ${shell.service.pid}, data ${dataDir})\n`);

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await shell.close().catch((error: unknown) => process.stderr.write(`[web] stopping failed: ${String(error)}\n`));
  process.exit(code);
}
guardProcess({ log: (message) => process.stderr.write(`[web] ${message}\n`), fatal: () => void stop(1) });
process.once('SIGTERM', () => void stop(0));
process.once('SIGINT', () => void stop(0));
void shell.serviceLost.then(({ code, signal }) => {
  process.stderr.write(`[web] the service stopped on its own (code ${code}, signal ${signal}); exiting\n`);
  void stop(1);
});
