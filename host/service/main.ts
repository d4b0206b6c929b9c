/**
 * The service entry. Runs unchanged under Electron's utility process (`process.parentPort`)
 * and Node's `child_process.fork` (`process.send`). Exits 0 after a graceful shutdown, on
 * request, on SIGTERM/SIGINT, or when its parent goes away.
 */
import { Service } from './service';
import { electronPort, nodeIpcPort, type ElectronPortLike } from './ports';
import { linkSchemes, loadConfig, parseEntryArgs } from './options';
import { exitAfterShutdown } from './shutdown';

const parentPort = (process as unknown as { parentPort?: ElectronPortLike }).parentPort;
const options = parseEntryArgs(process.argv.slice(2));
const log = (level: string, message: string) => process.stderr.write(`[service ${level}] ${message}\n`);

const service = new Service({
  dataDir: options.dataDir,
  config: await loadConfig(options.configPath),
  ...(options.name ? { name: options.name } : {}),
  linkSchemes: linkSchemes(options.dev),
  ...(options.approvalTimeoutMs ? { approvalTimeoutMs: options.approvalTimeoutMs } : {}),
  logger: log,
  onShutdownRequested: () => void shutdown(),
});

let stopping: Promise<void> | undefined;
function shutdown(): Promise<void> {
  stopping ??= exitAfterShutdown(() => service.stop(), log);
  return stopping;
}
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());

if (parentPort) {
  // Electron: main talks on parentPort and hands over one MessagePort per renderer.
  service.serve(electronPort(parentPort));
  parentPort.on('message', (event) => {
    for (const port of event.ports ?? []) service.serve(electronPort(port));
  });
} else if (process.send) {
  const port = nodeIpcPort();
  service.serve(port);
  port.onClose?.(() => void shutdown());
} else {
  log('error', 'host/service/main.ts is started by Electron or child_process.fork; for a terminal use `npm run peer`.');
  process.exit(2);
}

await service.start();
log('info', `ready: ${service.state.local.name} (${service.state.peerId}) in ${options.dataDir}`);
