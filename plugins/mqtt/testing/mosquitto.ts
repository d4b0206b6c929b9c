/**
 * A real Mosquitto for tests, on a free loopback port, with a config of its own in a temp folder.
 * Mosquitto cannot bind port 0, so a port is found by binding 0 first and closing it. `stop()`
 * kills the process and removes the folder; call it in `afterAll` (it is safe to call twice).
 * Elsewhere (the network lab's public segment: host/service/testing/lab.ts) the caller gives the
 * address, the port and how to start the process. Not part of the plugin's API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  /** Stop the broker (the port stays ours to start it again on). */
  kill(): Promise<void>;
  /** Start it again on the same port. */
  restart(): Promise<void>;
  /** Kill it and remove its folder. */
  stop(): Promise<void>;
}

/** Debian installs it in /usr/sbin, which a non-root PATH often lacks. */
function mosquittoBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs.map((dir) => join(dir, 'mosquitto')).find((path) => existsSync(path)) ?? 'mosquitto';
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface MosquittoOptions {
  /** The address it listens on (default 127.0.0.1). */
  host?: string;
  /** Its port (default a free loopback port). */
  port?: number;
  /** Starts the process (default: here, with node's spawn); its stderr must be piped. The lab
   * passes one that runs it inside a namespace. */
  spawn?: (command: string, args: string[]) => ChildProcess;
  /** Where its folder is made (default the system's temp folder). */
  parentDir?: string;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort());
  const start = options.spawn ?? ((command, args) => spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'whatnext-mosquitto-'));
  const config = join(dir, 'mosquitto.conf');
  // Logged to stderr, where the start is read from ("running"); nothing is persisted.
  writeFileSync(
    config,
    [
      `listener ${port} ${host}`,
      'allow_anonymous true',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const started = start(mosquittoBinary(), ['-c', config]);
      child = started;
      let log = '';
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (/ running$/m.test(log)) {
          started.stderr!.off('data', onData);
          started.stderr!.resume();
          resolve();
        }
      };
      started.stderr!.on('data', onData);
      started.on('error', reject);
      started.on('exit', (code) => reject(new Error(`mosquitto exited (${code}) before it was running: ${log.slice(-500)}`)));
    });

  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };

  try {
    await launch();
  } catch (error) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `mqtt://${host}:${port}`,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
