/** Adapters from each runtime's message channel to the service's `Port`. */
import type { ChildProcess } from 'node:child_process';
import type { Port } from '../../core/protocol/port';

/** Node `child_process.fork` IPC (the parent should fork with `serialization: 'advanced'` so
 * bytes cross as Uint8Array). */
export function nodeIpcPort(proc: NodeJS.Process = process): Port {
  return {
    send: (message) => {
      if (!proc.send || !proc.connected) throw new Error('IPC channel closed');
      proc.send(message as never);
    },
    onMessage: (listener) => {
      const handler = (message: unknown) => listener(message);
      proc.on('message', handler);
      return () => proc.off('message', handler);
    },
    onClose: (listener) => {
      proc.once('disconnect', listener);
      return () => proc.off('disconnect', listener);
    },
  };
}

/** The parent's side of a forked service's IPC channel (fork it with
 * `serialization: 'advanced'`). */
export function childIpcPort(child: ChildProcess): Port {
  return {
    send: (message) => {
      if (!child.connected) throw new Error('the service is not connected');
      child.send(message as never);
    },
    onMessage: (listener) => {
      child.on('message', listener);
      return () => child.off('message', listener);
    },
    onClose: (listener) => {
      child.once('disconnect', listener);
      return () => child.off('disconnect', listener);
    },
  };
}

/** The subset of Electron's MessagePortMain / parentPort this needs (kept structural so this
 * module does not import Electron). */
export interface ElectronPortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown; ports?: ElectronPortLike[] }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  off?(event: string, listener: (...args: never[]) => void): unknown;
  removeListener?(event: string, listener: (...args: never[]) => void): unknown;
  start?(): void;
}

export function electronPort(port: ElectronPortLike): Port {
  const remove = (event: string, listener: (...args: never[]) => void) => (port.off ?? port.removeListener)?.call(port, event, listener);
  port.start?.();
  return {
    send: (message) => port.postMessage(message),
    onMessage: (listener) => {
      const handler = (event: { data: unknown }) => listener(event.data);
      port.on('message', handler);
      return () => remove('message', handler);
    },
    onClose: (listener) => {
      port.on('close', listener);
      return () => remove('close', listener);
    },
  };
}
