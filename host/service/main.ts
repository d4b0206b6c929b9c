/**
 * The service entry. Runs unchanged under Electron's utility process (`process.parentPort`)
 * and Node's `child_process.fork` (`process.send`). Exits 0 after a graceful shutdown, on
 * request, on SIGTERM/SIGINT, or when its parent goes away.
 */
import { electronPort, nodeIpcPort, type ElectronPortLike } from './ports';
import { bootService } from './boot';
import { PERMISSION_CHECKS as LEAST, permissionsInEffect } from './permissions';
import { guardProcess } from './process-guards';
import type { Logger } from '../../core/kernel/context';

const parentPort = (process as unknown as { parentPort?: ElectronPortLike }).parentPort;
// The log is a pipe to the parent. A parent that died took its read end along, and every write
// then fails (EPIPE); unheard, that error would end the service before its graceful shutdown.
// A log that cannot be written has nowhere to report its own failure, so every error is dropped.
process.stderr.on('error', () => {});
const log: Logger = (level, message) => void process.stderr.write(`[service ${level}] ${message}\n`);
const { service, options, shutdown } = await bootService(process.argv.slice(2), log);
guardProcess({ log: (message) => log('error', message), fatal: () => void shutdown(1) });

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
const permissions = permissionsInEffect(options.dataDir);
log(
  permissions.enforced ? 'info' : 'warn',
  permissions.enforced
    ? `least privilege (Node's permission model): may ${permissions.allowed.join(', ') || 'do none of the checked things'}, and not ${LEAST.filter((l) => !permissions.allowed.includes(l)).join(', ')}`
    : "no least privilege: Node's permission model is not in effect, so plugins may write anywhere and start processes",
);
log('info', `ready: ${service.state.local.name} (${service.state.peerId}) in ${options.dataDir}`);
