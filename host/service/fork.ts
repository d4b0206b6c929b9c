/**
 * Starts the real service entry (host/service/main.ts) as a Node child process, as Electron's
 * main starts it with utilityProcess.fork. Used by the browser shell, the tests and the
 * benchmarks alike.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Port } from '../../core/protocol/port';
import { childIpcPort } from './ports';

/** The service entry (run with `--import tsx`). */
export const SERVICE_ENTRY = fileURLToPath(new URL('./main.ts', import.meta.url));
/** The line the service prints once it serves requests. */
export const READY_LINE = '[service info] ready:';

export interface ServiceProcessOptions {
  dataDir: string;
  name?: string;
  config?: string;
  dev?: boolean;
  approvalTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Where the service's log output goes (default: this process's stderr). */
  log?: (chunk: string) => void;
}

export interface ServiceProcess {
  readonly pid: number;
  /** The service end of the IPC channel, as a protocol `Port`. */
  readonly port: Port;
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Send a signal (SIGKILL in crash tests). */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM (a graceful shutdown; `signal: false` when it was already asked to stop), then
   * SIGKILL if it has not exited within `graceMs`. Resolves with the exit code. */
  stop(graceMs?: number, options?: { signal?: boolean }): Promise<number | null>;
}

export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const args = ['--data-dir', options.dataDir];
  if (options.name) args.push('--name', options.name);
  if (options.config) args.push('--config', options.config);
  if (options.dev) args.push('--dev');
  if (options.approvalTimeoutMs) args.push('--approval-timeout-ms', String(options.approvalTimeoutMs));
  const log = options.log ?? ((chunk: string) => void process.stderr.write(chunk));
  const child = fork(SERVICE_ENTRY, args, {
    execArgv: ['--import', 'tsx'],
    // Bytes (app messages) cross as Uint8Array.
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, ...options.env },
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      log(chunk);
      if (seen.length < 64 * 1024) seen += chunk;
      if (seen.includes(READY_LINE)) resolve();
    });
    void exited.then(({ code }) => reject(new Error(`the service exited (code ${code}) before it was ready:\n${seen}`)));
  });
  return {
    pid: child.pid ?? -1,
    port: childIpcPort(child),
    exited,
    kill: (signal) => void child.kill(signal),
    async stop(graceMs = 10_000, { signal = true } = {}) {
      if (signal && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const { code } = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}
