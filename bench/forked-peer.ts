/**
 * A benchmark peer in a child process (forked with `--import tsx`), driven over IPC: send it
 * commands, await its replies by type. A reply `{ type: 'error', message }`, or the child
 * exiting, fails every wait from then on; so does a wait longer than `waitMs`, so that a lost
 * message fails the bench instead of hanging it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { withTimeout } from '../core/util/timeout';

export interface ForkedPeer<Command, Reply extends { type: string }> {
  send(command: Command): void;
  /** The next reply of `type` (in arrival order), stamped with `performance.now()` on arrival. */
  next<T extends Reply['type']>(type: T): Promise<Extract<Reply, { type: T }> & { receivedAt: number }>;
  /** Send the stop command and wait for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

export function forkPeer<Command, Reply extends { type: string }>(
  script: string,
  name: string,
  options: { stop: Command; stdout: 'inherit' | 'ignore'; waitMs: number },
): ForkedPeer<Command, Reply> {
  const child: ChildProcess = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', options.stdout, 'inherit', 'ipc'] });
  const inbox: (Reply & { receivedAt: number })[] = [];
  const waiters = new Set<() => void>();
  let failure: Error | undefined;
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      failure ??= new Error(`bench peer ${name} exited (code ${code})`);
      wake();
      resolve(code);
    }),
  );
  child.on('message', (message: Reply & { message?: string }) => {
    if (message.type === 'error') failure ??= new Error(`bench peer ${name}: ${message.message}`);
    else inbox.push({ ...message, receivedAt: performance.now() });
    wake();
  });
  return {
    send: (command) => void child.send(command as never),
    next: (type) => {
      let check = () => {};
      const reply = new Promise<never>((resolve, reject) => {
        check = () => {
          const index = inbox.findIndex((m) => m.type === type);
          if (index >= 0) {
            waiters.delete(check);
            return resolve(inbox.splice(index, 1)[0] as never);
          }
          if (failure) {
            waiters.delete(check);
            reject(failure);
          }
        };
        waiters.add(check);
        check();
      });
      // A wait that timed out takes no later reply meant for another.
      return withTimeout(reply, options.waitMs, () => new Error(`bench peer ${name}: no "${type}" within ${options.waitMs} ms`)).finally(() =>
        waiters.delete(check),
      );
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send(options.stop as never);
      else child.kill('SIGKILL');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
