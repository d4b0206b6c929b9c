/**
 * Main's logic (createShell) around the real service, as tests drive it: the service forked
 * through the Node stand-in for utilityProcess, worker_threads MessageChannels for the
 * renderer's ports, and the preload's renderer API on the receiving end. `dispose()` ends every
 * process the harness started.
 */
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { tempDir } from '../../service/testing/temp-dirs';
import { serviceArgs } from '../layout';
import { createRendererApi } from '../renderer-api';
import type { RestartPolicy } from '../restart-policy';
import { createShell } from '../shell';
import type { ServiceLifecycle } from '../shell-channels';
import { NodeUtilityProcess, nodeServiceLaunch } from './node-utility-process';

export const MANUAL_MEMORY_CONFIG = fileURLToPath(new URL('./fixtures/manual-memory.config.ts', import.meta.url));

export interface HarnessOptions {
  config?: string;
  policy?: Partial<RestartPolicy>;
  packaged?: boolean;
}

export async function startHarness(options: HarnessOptions = {}) {
  const dataDir = tempDir('whatnext-electron-');
  const processes: NodeUtilityProcess[] = [];
  const ports: MessagePort[] = [];
  const statuses: ServiceLifecycle[] = [];
  const logs: string[] = [];
  const renderer = createRendererApi();
  const config = options.config ?? MANUAL_MEMORY_CONFIG;
  const launch = await nodeServiceLaunch({ dataDir, config });

  const shell = createShell<MessagePort>({
    packaged: options.packaged ?? false,
    fork: () => {
      const child = new NodeUtilityProcess({ launch, args: serviceArgs({ dataDir, dev: !(options.packaged ?? false) }) });
      processes.push(child);
      return child;
    },
    createChannel: () => new MessageChannel(),
    deliverPort: (port) => {
      ports.push(port);
      renderer.attach(port);
    },
    sendStatus: (status) => {
      statuses.push(status);
      renderer.setLifecycle(status);
    },
    ...(options.policy ? { policy: options.policy } : {}),
    log: (level, message) => {
      logs.push(`${level} ${message}`);
      if (process.env.WHATNEXT_TEST_VERBOSE) process.stderr.write(`${level} ${message}\n`);
    },
  });
  // The page loaded and said hello; it gets a port whenever the service is up.
  shell.rendererConnected();

  /** The next status matching `predicate` (or the current one, if it matches). */
  function status<S extends ServiceLifecycle['state']>(state: S, predicate: (s: Extract<ServiceLifecycle, { state: S }>) => boolean = () => true) {
    type Match = Extract<ServiceLifecycle, { state: S }>;
    return new Promise<Match>((resolve) => {
      const current = shell.supervisor.status;
      if (current.state === state && predicate(current as Match)) return resolve(current as Match);
      const off = shell.supervisor.on('status', (next) => {
        if (next.state !== state || !predicate(next as Match)) return;
        off();
        resolve(next as Match);
      });
    });
  }

  async function dispose(): Promise<void> {
    await shell.stop();
    await Promise.all(
      processes.map(async (child) => {
        if (child.child.exitCode !== null || child.child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.child.once('exit', resolve));
        child.child.kill('SIGKILL');
        await exited;
      }),
    );
    for (const port of ports) port.close();
  }

  return { shell, renderer, api: renderer.api, statuses, processes, ports, logs, dataDir, status, dispose };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;
