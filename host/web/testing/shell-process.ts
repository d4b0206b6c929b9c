/**
 * A browser shell as its own process (`host/web/server.ts`), as a person runs it, for the e2e
 * tests and the fuzzer: started on a free port, ready once it prints its address, stopped with
 * SIGTERM. The caller ends it (the e2e harness registers it for cleanup).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../server.ts', import.meta.url));

export interface Shell {
  name: string;
  url: string;
  child: ChildProcess;
  dataDir: string;
  servicePid: number;
  /** Everything the shell (and its service) wrote so far. */
  output(): string;
  /** Resolves with the exit code once the shell has exited, however it ended. */
  exited: Promise<number | null>;
  /** SIGTERM; resolves with the exit code (SIGKILL after 15 s). */
  stop(): Promise<number | null>;
}

export interface ShellProcessOptions {
  name: string;
  dataDir: string;
  /** The plugins config, always a test's own: the app's plugins.config.ts lists a public STUN
   * server, and no test sends anything outside this machine (tools/ice-guard.test.ts). */
  config: string;
  /** A renderer build to serve instead of dist/web. */
  distDir?: string;
  /** Extra environment for the shell and its service (a fixture config may read it). */
  env?: Record<string, string>;
  /** How long a connection request waits for the user (ms). */
  approvalTimeoutMs?: number;
  /** Called with each chunk the shell writes. */
  onOutput?: (chunk: string) => void;
  /** Called once the process exists, before it is ready: a way to end it if it never is. */
  onSpawn?: (kill: () => Promise<unknown>) => void;
}

/** Start a shell; if it exits before it is ready, rejects with what it wrote. */
export async function startShellProcess(options: ShellProcessOptions): Promise<Shell> {
  const args = ['--import', 'tsx', SERVER, '--port', '0', '--name', options.name, '--data-dir', options.dataDir, '--config', options.config];
  if (options.distDir) args.push('--dist', options.distDir);
  if (options.approvalTimeoutMs) args.push('--approval-timeout-ms', String(options.approvalTimeoutMs));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    options.onOutput?.(chunk.toString());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  options.onSpawn?.(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    const check = () => {
      const match = /listening on (http:\/\/[^\s]+) \(service pid (\d+)/.exec(output);
      if (match) resolve({ url: match[1]!, pid: Number(match[2]) });
    };
    child.stdout?.on('data', check);
    void exited.then((code) => reject(new Error(`the ${options.name} shell exited (${code}) before it was ready:\n${output}`)));
  });
  let stopping: Promise<number | null> | undefined;
  return {
    name: options.name,
    url: ready.url,
    child,
    dataDir: options.dataDir,
    servicePid: ready.pid,
    exited,
    output: () => output,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await exited;
        clearTimeout(killer);
        return code;
      })();
      return stopping;
    },
  };
}
