/**
 * A real service process with a typed client, for tests and benchmarks. Every service started
 * here is ended by `stop()`.
 */
import { createClient, type ServiceClient } from '../../../core/protocol/client';
import type { CoreProtocol, ProtocolSpec } from '../../../core/protocol';
import type { Port } from '../../../core/protocol/port';
import { startServiceProcess, type ServiceProcessOptions } from '../fork';
import { tempDir } from './temp-dirs';

export interface SpawnedService<P extends ProtocolSpec = CoreProtocol> {
  /** The process: its pid, and `kill` for crash tests. */
  child: { pid: number; kill(signal: NodeJS.Signals): void };
  /** The raw IPC port (tests that send malformed messages use it). */
  port: Port;
  client: ServiceClient<P>;
  dataDir: string;
  /** Everything the service wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ask for a graceful shutdown; resolves with the exit code. Kills it if it does not exit. */
  stop(): Promise<number | null>;
}

export type SpawnOptions = Partial<Omit<ServiceProcessOptions, 'log'>> & {
  /** The plugins config, always a test's own: the app's plugins.config.ts lists a public STUN
   * server, and no test sends anything outside this machine (tools/ice-guard.test.ts). */
  config: string;
  /** Protocols of the config's plugins, for the client to check their answers too. */
  protocols?: readonly ProtocolSpec[];
};

export async function spawnService<P extends ProtocolSpec = CoreProtocol>(options: SpawnOptions): Promise<SpawnedService<P>> {
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
  const client = createClient<P>(service.port, { ...(options.protocols ? { protocols: options.protocols } : {}) });
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
      // Core's method, whatever protocol the client is typed with.
      const asked =
        !done &&
        (await (client as unknown as ServiceClient).request('service.shutdown', {}).then(
          () => true,
          () => false,
        ));
      const code = asked ? await service.stop(10_000, { signal: false }) : await service.stop();
      client.close();
      return code;
    },
  };
}
