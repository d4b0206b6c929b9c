/**
 * Graceful exit. Everything the service owns is closed by `stop()` (plugins close their peer
 * connections, sockets and servers on the shutdown hook). Native WebRTC bindings can keep
 * worker threads alive for seconds after every peer connection is closed, which would make a
 * clean service look hung; so after a clean stop we exit explicitly. With
 * WHATNEXT_REPORT_HANDLES=1 the service first prints what is still open, so tests can prove
 * nothing of ours leaked.
 */
import type { Logger } from '../../core/kernel/context';

export async function exitAfterShutdown(stop: () => Promise<void>, log: Logger, code = 0): Promise<void> {
  try {
    await stop();
  } catch (error) {
    code = 1;
    log('error', `shutdown failed: ${error instanceof Error ? error.stack : String(error)}`);
  }
  if (process.env.WHATNEXT_REPORT_HANDLES === '1') {
    process.stderr.write(`[service handles] ${JSON.stringify(process.getActiveResourcesInfo())}\n`);
  }
  if (process.connected) process.disconnect?.();
  process.exit(code);
}
