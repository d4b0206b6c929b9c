/**
 * Last-resort handlers for a long-running process (the service, the browser shell), for what
 * escapes every per-message guard:
 *
 * - a rejected promise nobody awaited belongs to work that was already abandoned: it is logged,
 *   and the process goes on (Node's default would end it, and with it every open connection);
 * - an uncaught exception may leave state half-changed: it is logged and the process stops as
 *   cleanly as it can (exit code 1), for its supervisor to restart; except a message on the
 *   parent's IPC channel that V8 cannot read back (below), which is dropped.
 */
import { describe } from '../../core/errors';

export function guardProcess(options: { log: (message: string) => void; fatal: () => void }): void {
  process.on('unhandledRejection', (reason) => options.log(`a promise nobody awaited failed: ${stack(reason)}`));
  process.on('uncaughtException', (error) => {
    if (isUnreadableIpcMessage(error)) return options.log('dropped a message from the parent process that could not be read: it nests too deeply');
    options.log(`stopping after an uncaught exception: ${stack(error)}`);
    options.fatal();
  });
}

/**
 * Node reads IPC messages ('advanced' serialization) with V8's recursive deserializer, in the
 * channel's read callback, before any code of ours sees them: an object nested two thousand
 * levels deep overflows the stack there. By then Node has taken the message off the channel's
 * buffer (node:internal/child_process/serialization), so the channel stays consistent; messages
 * that arrived in the same read wait for the next data on the channel. It cannot come to that
 * from a sender with Node's default stack: the service runs with a larger one (fork.ts), enough
 * to read whatever such a sender can write, and clients refuse deep values before sending
 * (core/protocol/client.ts). This is for a sender with a bigger stack still.
 */
function isUnreadableIpcMessage(error: unknown): boolean {
  return error instanceof RangeError && /\bparseChannelMessages\b/.test(error.stack ?? '');
}

const stack = (error: unknown) => (error instanceof Error && error.stack ? `${describe(error)}\n${error.stack}` : describe(error));
