/**
 * A Node stand-in for Electron's `utilityProcess.fork`: forks the real service entry through
 * parent-port-entry.ts (bundled, with least privilege: `nodeServiceLaunch`) and offers the
 * `UtilityProcess` surface the supervisor uses, including
 * `postMessage(message, [port])` with worker_threads MessagePorts (bridged over IPC, since Node
 * cannot transfer a port to another process). Tests use it with `new MessageChannel()` as the
 * channel factory, so the renderer side is a real MessagePort.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { serviceLaunch, type ServiceLaunch } from '../../service/fork';
import type { ServiceProcess } from '../supervisor';

const ENTRY = fileURLToPath(new URL('./parent-port-entry.ts', import.meta.url));

/** The service as this stand-in runs it: parent-port-entry.ts bundled with `config`. */
export function nodeServiceLaunch(options: { dataDir: string; config: string }): Promise<ServiceLaunch> {
  return serviceLaunch({ ...options, entry: ENTRY });
}

export interface NodeServiceOptions {
  launch: ServiceLaunch;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export class NodeUtilityProcess extends EventEmitter implements ServiceProcess<MessagePort> {
  readonly child: ChildProcess;
  #listening = false;
  #outbox: unknown[] = [];
  #bridges = new Map<number, MessagePort>();
  #nextChannel = 1;

  constructor(options: NodeServiceOptions) {
    super();
    this.child = fork(options.launch.entry, options.args, {
      execArgv: options.launch.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...options.env },
    });
    this.child.on('message', (raw) => this.#receive(raw as { hello?: boolean; ch?: number; data?: unknown }));
    this.child.once('exit', (code, signal) => {
      for (const port of this.#bridges.values()) port.close();
      this.#bridges.clear();
      // Electron reports a number; a signal becomes the shell's 128 + n.
      this.emit('exit', code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
  get stdout(): NodeJS.ReadableStream | null {
    return this.child.stdout;
  }
  get stderr(): NodeJS.ReadableStream | null {
    return this.child.stderr;
  }

  postMessage(message: unknown, transfer: MessagePort[] = []): void {
    const ports = transfer.map((port) => this.#bridge(port));
    this.#send({ ch: 0, data: message, ports });
  }

  /** Electron's kill() is a SIGTERM: the service shuts down gracefully. */
  kill(): boolean {
    return this.child.kill('SIGTERM');
  }

  #send(message: unknown): void {
    // Like Electron, hold messages until the child listens (Node drops earlier ones).
    if (!this.#listening) return void this.#outbox.push(message);
    // A child killed meanwhile fails the write (EPIPE) after `connected` said yes: Electron's
    // postMessage to a dead utility process is dropped quietly, so is this one.
    if (this.child.connected) this.child.send(message as never, undefined, undefined, () => {});
  }

  #receive(message: { hello?: boolean; ch?: number; data?: unknown }): void {
    if (message.hello) {
      this.#listening = true;
      for (const queued of this.#outbox.splice(0)) this.#send(queued);
      return void this.emit('spawn');
    }
    if (message.ch === 0) return void this.emit('message', message.data);
    this.#bridges.get(message.ch ?? -1)?.postMessage(message.data);
  }

  #bridge(port: MessagePort): number {
    const channel = this.#nextChannel++;
    this.#bridges.set(channel, port);
    port.on('message', (data) => this.#send({ ch: channel, data }));
    port.once('close', () => {
      if (this.#bridges.delete(channel)) this.#send({ close: channel });
    });
    return channel;
  }
}
