/**
 * A real service process with a typed client, for tests and benchmarks. Every service started
 * here is ended by `stop()`.
 */
import { createClient, type ServiceClient } from '../../../core/protocol/client';
import type { Port } from '../../../core/protocol/port';
import { startServiceProcess, type ServiceProcessOptions } from '../fork';
import { tempDir } from './temp-dirs';

export interface SpawnedService {
  /** The process: its pid, and `kill` for crash tests. */
  child: { pid: number; kill(signal: NodeJS.Signals): void };
  /** The raw IPC port (tests that send malformed messages use it). */
  port: Port;
  client: ServiceClient;
  dataDir: string;
  /** Everything the service wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ask for a graceful shutdown; resolves with the exit code. Kills it if it does not exit. */
  stop(): Promise<number | null>;
}

export type SpawnOptions = Partial<Omit<ServiceProcessOptions, 'log'>>;

export async function spawnService(options: SpawnOptions = {}): Promise<SpawnedService> {
  const dataDir = options.dataDir ?? tempDir('whatnext-service-');
  let stderr = '';
  const service = await startServiceProcess({
    ...options,
    dataDir,
    log: (chunk) => {
      stderr += chunk;
      if (process.env.WHATNEXT_TEST_VERBOSE) process.stderr.write(chunk);
    },
  });
  const client = createClient(service.port);
  let done = false;
  void service.exited.then(() => (done = true));
  return {
    child: { pid: service.pid, kill: (signal) => service.kill(signal) },
    port: service.port,
    client,
    dataDir,
    stderr: () => stderr,
    exited: service.exited,
    async stop() {
      // Ask first (the path a UI takes); signal only if the request could not be made.
      const asked = !done && (await client.request('service.shutdown', {}).then(() => true, () => false));
      const code = asked ? await service.stop(10_000, { signal: false }) : await service.stop();
      client.close();
      return code;
    },
  };
}
