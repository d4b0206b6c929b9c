/** The parent's side of a forked service's IPC channel, as a `Port`. */
import type { ChildProcess } from 'node:child_process';
import type { Port } from '../../../core/protocol/port';

export function nodeIpcPortOf(child: ChildProcess): Port {
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
