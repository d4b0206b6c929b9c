/**
 * Running the lab's commands (`ip`, `iptables-restore`, `openssl`): bounded in time, and a
 * failure is a `LabError` that names the command and carries its stderr.
 */
import { execFile } from 'node:child_process';

/** The lab could not be built, used or torn down; `message` says which command and why. */
export class LabError extends Error {
  override name = 'LabError';
}

export interface RunOptions {
  /** Written to the command's stdin (iptables-restore reads its rules there). */
  input?: string;
  /** Killed (SIGKILL) after this long; every lab command is quick, so the default is short. */
  timeoutMs?: number;
}

/** Runs `command args...` in the root namespace and resolves with its stdout. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 8 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const why = error.killed ? `did not finish within ${timeoutMs} ms` : `failed (${error.code ?? error.signal ?? error.message})`;
        reject(new LabError(`netlab: \`${[command, ...args].join(' ')}\` ${why}${stderr.trim() ? `: ${stderr.trim()}` : ''}`, { cause: error }));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs `command args...` inside network namespace `namespace`. */
export function runIn(namespace: string, command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return run('ip', ['netns', 'exec', namespace, command, ...args], options);
}
