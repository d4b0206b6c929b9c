/** Builds a Service from command-line options, with one graceful shutdown path for requests,
 * SIGTERM and SIGINT. */
import type { Logger } from '../../core/kernel/context';
import { Service } from './service';
import { linkSchemes, loadConfig, parseEntryArgs, type EntryOptions } from './options';
import { exitAfterShutdown } from './shutdown';

export interface BootedService {
  service: Service;
  options: EntryOptions;
  /** Stop everything, then exit with `code` (1 if stopping failed). Idempotent: the first call
   * decides. */
  shutdown(code?: number): Promise<void>;
}

export async function bootService(argv: string[], logger: Logger): Promise<BootedService> {
  const options = parseEntryArgs(argv);
  let stopping: Promise<void> | undefined;
  const shutdown = (code = 0) => (stopping ??= exitAfterShutdown(() => service.stop(), logger, code));
  const service = new Service({
    dataDir: options.dataDir,
    config: await loadConfig(options.configPath),
    ...(options.name ? { name: options.name } : {}),
    linkSchemes: linkSchemes(options.dev),
    ...(options.approvalTimeoutMs ? { approvalTimeoutMs: options.approvalTimeoutMs } : {}),
    logger,
    onShutdownRequested: () => void shutdown(),
  });
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
  return { service, options, shutdown };
}
