/**
 * Building blocks of the conformance suite, also handy in a transport's own tests: a recording
 * sink whose events can be awaited, deterministic payloads, and buffer and timer probes.
 */
import type { BindingSide, Pipe, PipeSink } from '../contracts/transport';

const MiB = 1024 * 1024;

/** A sink that records everything and lets a test wait for a condition on it. */
export class RecordingSink implements PipeSink {
  readonly frames: Uint8Array[] = [];
  readonly closes: (Error | undefined)[] = [];
  /** Bindings the transport reported, in order, with how many frames had arrived by then. */
  readonly bindings: { side: BindingSide; value: string; framesBefore: number }[] = [];
  drains = 0;
  private waiters: (() => boolean)[] = [];

  binding = (side: BindingSide, value: string): void => {
    this.bindings.push({ side, value, framesBefore: this.frames.length });
  };

  frame = (data: Uint8Array): void => {
    this.frames.push(data);
    this.check();
  };
  drain = (): void => {
    this.drains++;
    this.check();
  };
  closed = (error?: Error): void => {
    this.closes.push(error);
    this.check();
  };

  /** Resolves once `condition` holds; rejects if the pipe closes first. */
  until(condition: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const test = () => {
        if (condition()) return (resolve(), true);
        if (this.closes.length > 0) return (reject(new Error(`the pipe closed before ${what}`)), true);
        return false;
      };
      if (!test()) this.waiters.push(test);
    });
  }

  untilClosed(): Promise<void> {
    return new Promise((resolve) => {
      const test = () => (this.closes.length > 0 ? (resolve(), true) : false);
      if (!test()) this.waiters.push(test);
    });
  }

  private check(): void {
    this.waiters = this.waiters.filter((waiter) => !waiter());
  }
}

/** Send frames, waiting for drain whenever the pipe reports a lot buffered. */
export async function sendFrames(pipe: Pipe, sink: RecordingSink, frames: Uint8Array[]): Promise<void> {
  const limit = Math.max(MiB, pipe.lowWaterMark ?? 0);
  for (const frame of frames) {
    if (pipe.bufferedAmount && pipe.bufferedAmount() > limit) {
      const drains = sink.drains;
      await sink.until(() => sink.drains > drains, 'drain');
    }
    pipe.send(frame);
  }
}

export function frameSizes(maxFrameSize: number): number[] {
  const fixed = [1, 2, 3, 255, 256, 1000, 4096, Math.floor(maxFrameSize / 2), maxFrameSize - 1, maxFrameSize];
  const many = Array.from({ length: 200 }, (_, i) => 1 + ((i * 7919) % Math.min(maxFrameSize, 2000)));
  return [...fixed.filter((n) => n >= 1 && n <= maxFrameSize), ...many];
}

/** Wraps a pipe to watch its buffered amount: the highest value right after a send, and the
 * first moment the connection finds it over the high-water mark (so it must now wait). */
export class BufferProbe {
  maxBuffered = 0;
  bound = Infinity;
  readonly blocked: Promise<void>;
  private markBlocked!: () => void;

  constructor(private readonly highWaterMark: number) {
    this.blocked = new Promise((resolve) => (this.markBlocked = resolve));
  }

  wrap(pipe: Pipe): Pipe {
    if (!pipe.bufferedAmount) return pipe;
    const buffered = () => pipe.bufferedAmount!();
    const limit = Math.max(this.highWaterMark, pipe.lowWaterMark ?? 0);
    // One frame may go out while just under the limit; control frames (pongs) add a few bytes.
    this.bound = limit + Math.min(pipe.maxFrameSize, 256 * 1024) + 1024;
    return {
      maxFrameSize: pipe.maxFrameSize,
      lowWaterMark: pipe.lowWaterMark,
      send: (frame) => {
        pipe.send(frame);
        this.maxBuffered = Math.max(this.maxBuffered, buffered());
      },
      bufferedAmount: () => {
        const amount = buffered();
        if (amount > limit) this.markBlocked();
        return amount;
      },
      close: () => pipe.close(),
    };
  }
}

export function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

export function nextTurns(turns: number): Promise<void> {
  return turns <= 0 ? Promise.resolve() : new Promise((resolve) => setImmediate(() => resolve(nextTurns(turns - 1))));
}

/** Deterministic pseudo-random bytes (xorshift32), different for each seed. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.byteLength !== y.byteLength) return false;
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}
