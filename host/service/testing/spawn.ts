/**
 * Spawns the real service entry with child_process.fork and drives it through the protocol.
 * Used by tests and benchmarks; every service started here is ended by `stop()`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type ServiceClient } from '../../../core/protocol/client';
import { nodeIpcPortOf } from './ipc';

const ENTRY = fileURLToPath(new URL('../main.ts', import.meta.url));

export interface SpawnedService {
  child: ChildProcess;
  client: ServiceClient;
  dataDir: string;
  /** Everything the service wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ask for a graceful shutdown; resolves with the exit code. Kills it if it does not exit. */
  stop(): Promise<number | null>;
}

export interface SpawnOptions {
  name?: string;
  dataDir?: string;
  config?: string;
  dev?: boolean;
  approvalTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export async function spawnService(options: SpawnOptions = {}): Promise<SpawnedService> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'whatnext-service-'));
  const args = ['--data-dir', dataDir];
  if (options.name) args.push('--name', options.name);
  if (options.config) args.push('--config', options.config);
  if (options.dev) args.push('--dev');
  if (options.approvalTimeoutMs) args.push('--approval-timeout-ms', String(options.approvalTimeoutMs));
  const child = fork(ENTRY, args, {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, ...options.env },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (process.env.WHATNEXT_TEST_VERBOSE) process.stderr.write(chunk);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const client = createClient(nodeIpcPortOf(child));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (stderr.includes('[service info] ready:')) {
        child.stderr?.off('data', onData);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    void exited.then(({ code }) => reject(new Error(`service exited with ${code} before it was ready:\n${stderr}`)));
  });
  await ready;
  return {
    child,
    client,
    dataDir,
    stderr: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await client.request('service.shutdown', {}).catch(() => undefined);
      }
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const { code } = await exited;
      clearTimeout(killer);
      client.close();
      return code;
    },
  };
}
