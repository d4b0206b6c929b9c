/**
 * Processes inside a lab namespace. `ip netns exec` enters the namespace and then execs the
 * command, so the child's pid is the command's own and a signal reaches it directly. Each
 * child leads a process group of its own (`detached`), so a kill also reaches whatever it
 * started (tsx's esbuild service, for one).
 *
 * A node script gets Node's IPC channel: `spawn` opens it for any command (NODE_CHANNEL_FD in
 * the environment, the socket as fd 3), `ip netns exec` keeps both, and the node it execs picks
 * it up as if forked. Messages are JSON, so a library printing to stdout cannot garble them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { withTimeout } from '../../core/util/timeout';
import { LabError } from './exec';

/** tsx, resolved from here: a script runs the same whatever the child's working folder. */
const TSX = import.meta.resolve('tsx');
/** Kept of each child's output, for error messages. */
const OUTPUT_TAIL = 8000;

export interface LabProcessOptions {
  /** Extra environment (the test process's own is inherited). */
  env?: Record<string, string>;
  /** Called with each chunk of the child's stdout and stderr (a log line watcher). */
  onOutput?(text: string): void;
  /** Open Node's IPC channel as fd 3 (a node child picks it up as if forked). */
  ipc?: boolean;
  /** How IPC messages are encoded: 'json' (the default) or 'advanced' (structured clone, so
   * bytes cross as Uint8Array: what the service's port expects). */
  serialization?: 'json' | 'advanced';
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class LabProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  #output = '';
  #listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    namespace: string,
    command: string,
    args: readonly string[],
    options: LabProcessOptions = {},
  ) {
    this.child = spawn('ip', ['netns', 'exec', namespace, command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
      ...(options.serialization ? { serialization: options.serialization } : {}),
      detached: true,
      env: { ...process.env, ...options.env },
    });
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.#output = (this.#output + text).slice(-OUTPUT_TAIL);
      options.onOutput?.(text);
      for (const listener of [...this.#listeners]) listener();
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': by then every byte of output has been collected.
      this.child.once('close', (code, signal) => resolve({ code, signal }));
      this.child.once('error', (error) => {
        this.#output += `\n${error.message}`;
        resolve({ code: null, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined;
  }

  /** The last few kilobytes the process printed (stdout and stderr interleaved). */
  get output(): string {
    return this.#output;
  }

  /** Resolves once the process printed `text` (since it started, as far as the kept tail
   * goes); fails if it exits first or prints no such thing within `timeoutMs`. */
  async printed(text: string, timeoutMs: number): Promise<void> {
    let check = () => {};
    const seen = new Promise<void>((resolve, reject) => {
      check = () => {
        if (this.#output.includes(text)) resolve();
        else if (!this.running) reject(new LabError(`netlab: ${this.name} exited before printing "${text}"; its output:\n${this.#output}`));
      };
      this.#listeners.add(check);
      void this.exited.then(check);
      check();
    });
    try {
      await withTimeout(
        seen,
        timeoutMs,
        () => new LabError(`netlab: ${this.name} did not print "${text}" within ${timeoutMs} ms; its output:\n${this.#output}`),
      );
    } finally {
      this.#listeners.delete(check);
    }
  }

  /** Waits up to `ms` for the process to exit by itself, then kills it. */
  async exitWithin(ms: number): Promise<Exit> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
    const first = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    return first === 'late' ? this.stop() : first;
  }

  /** Sends `signal` to the process group, then waits for the exit (SIGKILL after `graceMs`). */
  async stop(signal: NodeJS.Signals = 'SIGKILL', graceMs = 5_000): Promise<Exit> {
    if (this.running) {
      this.#signalGroup(signal);
      const killer = signal === 'SIGKILL' ? undefined : setTimeout(() => this.#signalGroup('SIGKILL'), graceMs);
      try {
        return await withTimeout(
          this.exited,
          graceMs * 2,
          () => new LabError(`netlab: process ${this.name} (pid ${this.pid}) did not exit after ${signal} and SIGKILL`),
        );
      } finally {
        clearTimeout(killer);
      }
    }
    return this.exited;
  }

  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone already (ESRCH).
    }
  }
}

/** A node script in a namespace (run with tsx), spoken to over Node's IPC channel. */
export class LabNodeProcess<Command, Reply extends { type: string }> extends LabProcess {
  #inbox: Reply[] = [];
  #waiters = new Set<() => void>();
  #failure: Error | undefined;

  constructor(name: string, namespace: string, script: string, args: readonly string[], options: LabProcessOptions = {}) {
    super(name, namespace, process.execPath, ['--import', TSX, script, ...args], { ...options, ipc: true });
    this.child.on('message', (message: Reply) => {
      if (message.type === 'error') this.#failure ??= new LabError(`netlab: ${name}: ${(message as { message?: string }).message}`);
      else this.#inbox.push(message);
      this.#wake();
    });
    void this.exited.then((exit) => {
      this.#failure ??= new LabError(`netlab: ${name} exited (code ${exit.code}, signal ${exit.signal}); its output:\n${this.output}`);
      this.#wake();
    });
  }

  send(command: Command): void {
    if (this.child.connected) this.child.send(command as never);
  }

  /** The next reply of `type` (in arrival order) that `where` accepts. Fails when the process
   * reports an error, exits, or sends none within `timeoutMs`. */
  next<T extends Reply['type']>(
    type: T,
    timeoutMs: number,
    where: (reply: Extract<Reply, { type: T }>) => boolean = () => true,
  ): Promise<Extract<Reply, { type: T }>> {
    let check = () => {};
    const reply = new Promise<Extract<Reply, { type: T }>>((resolve, reject) => {
      check = () => {
        const index = this.#inbox.findIndex((m) => m.type === type && where(m as Extract<Reply, { type: T }>));
        if (index >= 0) return resolve(this.#inbox.splice(index, 1)[0] as Extract<Reply, { type: T }>);
        if (this.#failure) reject(this.#failure);
      };
      this.#waiters.add(check);
      check();
    });
    return withTimeout(reply, timeoutMs, () => new LabError(`netlab: ${this.name}: no "${type}" within ${timeoutMs} ms; its output:\n${this.output}`)).finally(
      () => this.#waiters.delete(check),
    );
  }

  /** Every reply of `type` received and not yet taken. */
  take<T extends Reply['type']>(type: T): Extract<Reply, { type: T }>[] {
    const taken = this.#inbox.filter((m) => m.type === type);
    this.#inbox = this.#inbox.filter((m) => m.type !== type);
    return taken as Extract<Reply, { type: T }>[];
  }

  /** Called on every reply (for a relay between two processes). */
  onReply(listener: (reply: Reply) => void): void {
    this.child.on('message', listener);
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
