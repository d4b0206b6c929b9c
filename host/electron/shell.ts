/**
 * Main's logic without Electron: the supervised service, the link queue and the renderer's
 * ports, wired together. main.ts feeds it argv, `open-url` URLs and renderer hellos, and gives
 * it the Electron functions it needs; tests give it a Node fork of the real service.
 */
import { describe } from '../../core/errors';
import { extractLinks, isLinkOf } from './deep-links';
import { LinkQueue } from './link-queue';
import { RendererPorts } from './renderer-ports';
import { acceptedSchemes } from './schemes';
import type { ServiceLifecycle } from './shell-channels';
import { ServiceSupervisor, type LogLevel, type SupervisorOptions } from './supervisor';

export interface ShellOptions<P> extends SupervisorOptions<P> {
  packaged: boolean;
  /** Post a service port to the renderer (main: `webContents.postMessage(PORT_CHANNEL, null, [port])`). */
  deliverPort: (port: P) => void;
  /** Tell the renderer how the service is doing (main: `webContents.send(SERVICE_CHANNEL, status)`). */
  sendStatus?: (status: ServiceLifecycle) => void;
  /** A link arrived (main brings its window to the front). */
  onLink?: (link: string) => void;
  linkQueueCapacity?: number;
}

export interface Shell<P> {
  readonly supervisor: ServiceSupervisor<P>;
  readonly links: LinkQueue;
  readonly rendererPorts: RendererPorts<P>;
  /** Queue the links in a command line (cold start or `second-instance`); returns them. */
  handleArgv(argv: readonly unknown[]): string[];
  /** Queue a macOS `open-url` URL if it is one of our links. */
  handleOpenUrl(url: unknown): boolean;
  /** The page said hello (sender checked by main): tell it where the service is, and give it a
   * port when the service runs. */
  rendererConnected(): void;
  /** The window closed or its renderer died. */
  rendererDisconnected(): void;
  start(): void;
  stop(): Promise<void>;
}

export function createShell<P>(options: ShellOptions<P>): Shell<P> {
  const log = (level: LogLevel, message: string) => options.log?.(level, message);
  const schemes = acceptedSchemes(options.packaged);
  const supervisor = new ServiceSupervisor<P>(options);
  const links = new LinkQueue({
    ...(options.linkQueueCapacity !== undefined ? { capacity: options.linkQueueCapacity } : {}),
    onDrop: () => log('warn', 'too many links waiting for the service; dropped the oldest'),
  });
  const rendererPorts = new RendererPorts<P>(() => supervisor.createRendererPort(), options.deliverPort);

  const sendStatus = (status: ServiceLifecycle) => {
    try {
      options.sendStatus?.(status);
    } catch (error) {
      log('warn', `could not tell the renderer the service status: ${describe(error)}`);
    }
  };

  supervisor.on('status', (status) => {
    sendStatus(status);
    if (status.state === 'running') {
      // Port first, so the renderer sees the events the queued links raise.
      rendererPorts.serviceReady();
      links.open((link) => supervisor.openLink(link));
    } else {
      links.pause();
    }
  });

  const queue = (link: string) => {
    links.push(link);
    options.onLink?.(link);
  };

  return {
    supervisor,
    links,
    rendererPorts,
    handleArgv(argv) {
      const found = extractLinks(argv, schemes);
      found.forEach(queue);
      return found;
    },
    handleOpenUrl(url) {
      if (!isLinkOf(url, schemes)) return false;
      queue(url);
      return true;
    },
    rendererConnected() {
      // A page that loads after a restart or a give-up still learns about it.
      const { state } = supervisor.status;
      if (state !== 'idle' && state !== 'running') sendStatus(supervisor.status);
      rendererPorts.rendererConnected();
    },
    rendererDisconnected: () => rendererPorts.rendererDisconnected(),
    start: () => supervisor.start(),
    stop: () => supervisor.stop(),
  };
}
