/**
 * Runs the real service entry (host/service/main.ts) in a Node child process as if it were an
 * Electron utility process: `process.parentPort` is emulated over Node IPC, including the
 * MessagePorts main transfers with `{ type: 'attach-port' }`. Each port is a numbered channel
 * on the IPC pipe (see node-utility-process.ts for the parent's side).
 *
 *   parent → child  { ch: 0, data, ports?: number[] }   a message on parentPort (with ports)
 *                   { ch: n, data }                      a message on transferred port n
 *                   { close: n }                         the other end of port n closed
 *   child → parent  { hello: true }                      listening (Electron's 'spawn')
 *                   { ch, data }                         a message from parentPort / port n
 */
import { EventEmitter } from 'node:events';

type Wire = { ch?: number; data?: unknown; ports?: number[]; close?: number; hello?: boolean };

const send = (message: Wire) => {
  if (process.connected) process.send!(message);
};

/** Like Electron's ports, queues messages until started and listened to (the service entry
 * attaches its listeners only after loading its config). */
class EmulatedPort extends EventEmitter {
  #started = false;
  #queued: unknown[] = [];

  constructor(
    readonly channel: number,
    autoStart = false,
  ) {
    super();
    // Electron's parentPort starts itself when a 'message' listener is added.
    if (autoStart) this.on('newListener', (event) => event === 'message' && this.start());
  }
  postMessage(data: unknown): void {
    send({ ch: this.channel, data });
  }
  start(): void {
    this.#started = true;
    queueMicrotask(() => this.#flush());
  }
  close(): void {
    ports.delete(this.channel);
  }
  deliver(event: unknown): void {
    this.#queued.push(event);
    this.#flush();
  }
  #flush(): void {
    if (!this.#started || this.listenerCount('message') === 0) return;
    for (const event of this.#queued.splice(0)) this.emit('message', event);
  }
}

const parentPort = new EmulatedPort(0, true);
const ports = new Map<number, EmulatedPort>([[0, parentPort]]);

process.on('message', (raw) => {
  const message = raw as Wire;
  if (typeof message.close === 'number') {
    ports.get(message.close)?.emit('close');
    ports.delete(message.close);
    return;
  }
  const transferred = (message.ports ?? []).map((channel) => {
    const port = new EmulatedPort(channel);
    ports.set(channel, port);
    return port;
  });
  ports.get(message.ch ?? -1)?.deliver({ data: message.data, ports: transferred });
});
// Electron ends utility processes with the app; here, with the parent.
process.on('disconnect', () => process.exit(0));

// What host/service/main.ts reads as Electron's parentPort (ports.ts: ElectronPortLike).
Object.defineProperty(process, 'parentPort', { value: parentPort, configurable: true });
send({ hello: true });
await import('../../service/main');
