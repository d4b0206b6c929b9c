/**
 * Starts the real service entry (host/service/main.ts) as a Node child process, as Electron's
 * main starts it with utilityProcess.fork: bundled with its plugins config (bundle.ts) and run
 * with least privilege (permissions.ts). Used by the browser shell, the CLI peer, the tests and
 * the benchmarks alike.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Port } from '../../core/protocol/port';
import { NODE_MODULES, serviceBundle } from './bundle';
import { permissionArgs } from './permissions';
import { SERVICE_NODE_FLAGS } from './node-flags';
import { childIpcPort } from './ports';

/** The line the service prints once it serves requests. */
export const READY_LINE = '[service info] ready:';

export interface ServiceLaunch {
  /** The bundled entry to fork. */
  entry: string;
  /** Node flags: the service's own (node-flags.ts) and the permission model scoped to the data
   * folder. Source maps only as NODE_OPTIONS asks (bundle.ts). */
  execArgv: string[];
}

/**
 * How to start a service on `dataDir` running `config` (plugins.config.ts by default), from
 * `entry` (host/service/main.ts by default): the data folder is made first, since the service
 * may write nothing outside it, not even its parent.
 */
export async function serviceLaunch(options: { dataDir: string; config?: string; entry?: string }): Promise<ServiceLaunch> {
  mkdirSync(options.dataDir, { recursive: true });
  const entry = await serviceBundle({ ...(options.config ? { config: options.config } : {}), ...(options.entry ? { entry: options.entry } : {}) });
  return {
    entry,
    execArgv: [
      // Node reads IPC messages with V8's recursive deserializer, which needs more stack per
      // level than the serializer: with about twice the default (984 KB, far under the 8 MB a
      // process's main thread has) the service reads whatever a sender with the default stack
      // can write, and refuses it by its shape instead of dropping it unread (process-guards.ts).
      '--stack-size=3000',
      ...SERVICE_NODE_FLAGS,
      ...permissionArgs({ read: [NODE_MODULES, options.dataDir], write: [options.dataDir] }),
    ],
  };
}

export interface ServiceProcessOptions {
  dataDir: string;
  name?: string;
  /** A plugins config (TypeScript or JavaScript), compiled into the service. */
  config?: string;
  dev?: boolean;
  approvalTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Where the service's log output goes (default: this process's stderr). */
  log?: (chunk: string) => void;
  /**
   * Starts the process (default: `child_process.fork`). Given `node` and its whole argument list
   * (the flags, the bundle and the service's arguments) and the environment, it must start them
   * with an IPC channel in 'advanced' serialization and stderr piped. Tests use it to run the
   * service inside a network namespace of the lab (host/service/testing/lab.ts).
   */
  spawn?: (command: string, args: readonly string[], env: NodeJS.ProcessEnv) => ChildProcess;
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
  if (options.dev) args.push('--dev');
  if (options.approvalTimeoutMs) args.push('--approval-timeout-ms', String(options.approvalTimeoutMs));
  const log = options.log ?? ((chunk: string) => void process.stderr.write(chunk));
  const launch = await serviceLaunch(options);
  const env = { ...process.env, ...options.env };
  const child = options.spawn
    ? options.spawn(process.execPath, [...launch.execArgv, launch.entry, ...args], env)
    : fork(launch.entry, args, {
        execArgv: launch.execArgv,
        // Bytes (app messages) cross as Uint8Array.
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
        env,
      });
  // Ended once its log is read to the end too: a service's last lines (why it stopped) come just
  // before it exits, and a parent that exits at 'exit' would drop them. A grandchild holding the
  // pipe open delays that at most a second.
  const logEnded = new Promise<void>((resolve) => (child.stderr ? child.stderr.once('close', resolve) : resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      const bound = setTimeout(() => resolve({ code, signal }), 1000);
      void logEnded.then(() => {
        clearTimeout(bound);
        resolve({ code, signal });
      });
    }),
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
