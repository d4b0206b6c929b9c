/**
 * Runs the service process and keeps it running. Electron passes `utilityProcess.fork` and
 * `MessageChannelMain`; tests pass a Node fork of the real service and worker_threads channels.
 *
 * - After each (re)start the service is "running" once its plugin host reports `running`; only
 *   then are renderer ports handed out and links delivered.
 * - An exit nobody asked for is a crash: restart with exponential backoff, or, after too many
 *   crashes in the window, stop and report `failed` rather than loop.
 * - `stop()` asks the service to shut down (plugins close their peers), waits for the exit, and
 *   kills it only if it does not go.
 */
import { createClient, ServiceError, type ServiceClient } from '../../core/protocol/client';
import type { Port } from '../../core/protocol/port';
import { describe } from '../../core/errors';
import { Emitter } from '../../core/util/emitter';
import type { LinkDelivery } from './link-queue';
import { forwardLines } from './log-lines';
import { DEFAULT_RESTART_POLICY, decideRestart, recentCrashTimes, type RestartPolicy } from './restart-policy';
import type { ServiceLifecycle } from './shell-channels';

/** The part of Electron's `UtilityProcess` the supervisor uses. `P` is the port type it can
 * transfer (`MessagePortMain` in Electron). */
export interface ServiceProcess<P> {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown, transfer?: P[]): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  removeListener(event: 'message', listener: (message: unknown) => void): unknown;
  removeListener(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export interface ChannelPair<P> {
  port1: P;
  port2: P;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface SupervisorOptions<P> {
  fork: () => ServiceProcess<P>;
  createChannel: () => ChannelPair<P>;
  policy?: Partial<RestartPolicy>;
  /** How long a (re)started service may take to report `running`. */
  readyTimeoutMs?: number;
  /** How long `stop()` waits for a graceful exit before killing. */
  stopTimeoutMs?: number;
  log?: (level: LogLevel, message: string) => void;
  now?: () => number;
}

/** Sent on the service's parent port with the ports to serve (host/service/main.ts). */
export const ATTACH_PORT_MESSAGE = Object.freeze({ type: 'attach-port' });

export class ServiceSupervisor<P> {
  #status: ServiceLifecycle = { state: 'idle' };
  #events = new Emitter<{ status: ServiceLifecycle }>((error) => this.#log('error', `status listener failed: ${describe(error)}`));
  #child: ServiceProcess<P> | undefined;
  #client: ServiceClient | undefined;
  #generation = 0;
  #restarts = 0;
  #crashes: number[] = [];
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #stopping: Promise<void> | undefined;
  readonly #policy: RestartPolicy;

  constructor(private readonly options: SupervisorOptions<P>) {
    this.#policy = { ...DEFAULT_RESTART_POLICY, ...options.policy };
  }

  get status(): ServiceLifecycle {
    return this.#status;
  }

  /** Main's own client of the running service; undefined while it is not running. */
  get client(): ServiceClient | undefined {
    return this.#client;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  on(event: 'status', listener: (status: ServiceLifecycle) => void): () => void {
    return this.#events.on(event, listener);
  }

  start(): void {
    if (this.#status.state !== 'idle') return;
    this.#spawn();
  }

  /** A fresh port to the running service for a renderer; undefined when it is not running. */
  createRendererPort(): P | undefined {
    if (this.#status.state !== 'running' || !this.#child) return undefined;
    const { port1, port2 } = this.options.createChannel();
    this.#child.postMessage(ATTACH_PORT_MESSAGE, [port1]);
    return port2;
  }

  /** Hands a link to the service, which validates it and raises an attempt or a rejection. */
  async openLink(link: string): Promise<LinkDelivery> {
    const client = this.#client;
    if (!client) return 'unavailable';
    try {
      await client.request('links.open', { link });
      return 'delivered';
    } catch (error) {
      // The service answered: it rejected the link and told every client why (link.rejected).
      if (error instanceof ServiceError) return 'delivered';
      return 'unavailable';
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child) return this.#setStatus({ state: 'stopped' });
    this.#setStatus({ state: 'stopping' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const client = this.#client;
    if (client) await Promise.race([client.request('service.shutdown', {}).catch(() => undefined), exited]);
    else child.kill();
    const timeout = setTimeout(() => {
      this.#log('warn', 'the service did not exit after a shutdown request; killing it');
      child.kill();
    }, this.options.stopTimeoutMs ?? 10_000);
    await exited;
    clearTimeout(timeout);
  }

  #spawn(): void {
    const generation = ++this.#generation;
    this.#setStatus({ state: 'starting', attempt: this.#restarts });
    let child: ServiceProcess<P>;
    try {
      child = this.options.fork();
    } catch (error) {
      this.#log('error', `could not start the service: ${describe(error)}`);
      return this.#crashed(generation, -1);
    }
    this.#child = child;
    forwardLines(child.stdout, (line) => this.#log('info', `[service] ${line}`));
    forwardLines(child.stderr, (line) => this.#log('info', `[service] ${line}`));
    child.on('exit', (code) => this.#exited(generation, code));
    const client = createClient(processPort(child), {
      onInvalidMessage: (error) => this.#log('warn', `invalid message from the service: ${describe(error)}`),
    });
    void this.#untilRunning(client, generation).then(
      () => {
        if (generation !== this.#generation || this.#stopping) return client.close();
        this.#client = client;
        this.#setStatus({ state: 'running', pid: child.pid, restarts: this.#restarts });
      },
      (error: unknown) => {
        client.close();
        if (generation !== this.#generation || this.#stopping) return;
        this.#log('error', `the service did not become ready: ${describe(error)}`);
        child.kill(); // its exit counts as a crash
      },
    );
  }

  /** Resolves when the service's plugin host is running. The request covers a host that got
   * there before we listened; the event covers one still starting. */
  #untilRunning(client: ServiceClient, generation: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const offEvent = client.on('host.state', (state) => state === 'running' && done());
      const timer = setTimeout(
        () => done(new Error(`no "running" state within ${this.options.readyTimeoutMs ?? 30_000} ms`)),
        this.options.readyTimeoutMs ?? 30_000,
      );
      const offExit = this.#onGenerationExit(generation, () => done(new Error('the service exited while starting')));
      client.request('service.status', {}).then(
        (status) => status.state === 'running' && done(),
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      );
      function done(error?: Error): void {
        offEvent();
        offExit();
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      }
    });
  }

  #exitListeners = new Set<{ generation: number; listener: () => void }>();
  #onGenerationExit(generation: number, listener: () => void): () => void {
    const entry = { generation, listener };
    this.#exitListeners.add(entry);
    return () => this.#exitListeners.delete(entry);
  }

  #exited(generation: number, code: number): void {
    for (const entry of [...this.#exitListeners]) if (entry.generation === generation) entry.listener();
    if (generation !== this.#generation) return;
    this.#client?.close('the service exited');
    this.#client = undefined;
    this.#child = undefined;
    if (this.#stopping) {
      this.#log('info', `the service stopped (exit code ${code})`);
      return this.#setStatus({ state: 'stopped' });
    }
    this.#log('warn', `the service exited unexpectedly (exit code ${code})`);
    this.#crashed(generation, code);
  }

  #crashed(generation: number, code: number): void {
    const now = (this.options.now ?? Date.now)();
    this.#crashes = recentCrashTimes([...this.#crashes, now], now, this.#policy);
    const decision = decideRestart(this.#crashes, now, this.#policy);
    if (decision.action === 'give-up') {
      const seconds = Math.round(this.#policy.windowMs / 1000);
      const message = `The WhatNext service stopped ${decision.recentCrashes} times within ${seconds} s, so it was not restarted again. Restart WhatNext; if this keeps happening, the log shows why.`;
      this.#log('error', message);
      return this.#setStatus({ state: 'failed', message, recentCrashes: decision.recentCrashes });
    }
    this.#setStatus({ state: 'restarting', exitCode: Math.trunc(code), delayMs: decision.delayMs, recentCrashes: decision.recentCrashes });
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#stopping || generation !== this.#generation) return;
      this.#restarts += 1;
      this.#spawn();
    }, decision.delayMs);
  }

  #setStatus(status: ServiceLifecycle): void {
    this.#status = status;
    this.#events.emit('status', status);
  }

  #log(level: LogLevel, message: string): void {
    this.options.log?.(level, message);
  }
}

/** Main's side of the service's parent port: a `Port` for the typed client. */
function processPort<P>(child: ServiceProcess<P>): Port {
  return {
    send: (message) => child.postMessage(message),
    onMessage: (listener) => {
      const handler = (message: unknown) => listener(message);
      child.on('message', handler);
      return () => child.removeListener('message', handler);
    },
    onClose: (listener) => {
      const handler = () => listener();
      child.on('exit', handler);
      return () => child.removeListener('exit', handler);
    },
  };
}
