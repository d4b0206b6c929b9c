/**
 * The send queue: messages wait here, are cut into frames only as they are sent, and go out
 * one whole message at a time (chunks never interleave, see wire.ts). Before each frame the
 * outbox checks the pipe's buffered amount and, above the high-water mark, waits for the
 * pipe's drain. So the pipe holds at most about high-water mark + one frame, and a sender that
 * awaits `send` holds nothing more. Control frames (ping, pong, close) bypass this queue.
 */
import type { Pipe } from '../contracts/transport';
import { messageFrames, type OutgoingMessage } from './wire';

interface Queued {
  message: OutgoingMessage;
  resolve(): void;
  reject(error: Error): void;
}

export class Outbox {
  private readonly queue: Queued[] = [];
  private pipe: Pipe | undefined;
  private frameSize = 0;
  private sendFrame: (frame: Uint8Array) => void = () => {};
  private pumping = false;
  private drainWaiter: { resolve(): void; reject(error: Error): void } | undefined;
  private closedWith: Error | undefined;

  constructor(private readonly highWaterMark: number) {}

  /** Queue a message; resolves once all its frames are handed to the pipe. */
  enqueue(message: OutgoingMessage): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      void this.pump();
    });
  }

  /** Start sending through `pipe` (once the connection is open). `sendFrame` hands one frame
   * to the pipe; if that ends the connection, `close` is called before it returns. */
  start(pipe: Pipe, frameSize: number, sendFrame: (frame: Uint8Array) => void): void {
    this.pipe = pipe;
    this.frameSize = frameSize;
    this.sendFrame = sendFrame;
    void this.pump();
  }

  /** The pipe's buffered amount fell to its low-water mark. */
  drain(): void {
    const waiter = this.drainWaiter;
    this.drainWaiter = undefined;
    waiter?.resolve();
  }

  /** Reject everything queued (and anything queued later) with `error`. */
  close(error: Error): void {
    if (this.closedWith) return;
    this.closedWith = error;
    for (const item of this.queue.splice(0)) item.reject(error);
    const waiter = this.drainWaiter;
    this.drainWaiter = undefined;
    waiter?.reject(error);
  }

  private async pump(): Promise<void> {
    if (this.pumping || !this.pipe) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closedWith) {
        const item = this.queue[0]!;
        for (const frame of messageFrames(item.message, this.frameSize)) {
          while (this.overHighWater()) await this.waitForDrain();
          if (this.closedWith) return;
          this.sendFrame(frame);
          if (this.closedWith) return;
        }
        this.queue.shift();
        item.resolve();
      }
    } catch {
      // Only waitForDrain rejects, and only through close(), which already rejected the queue.
    } finally {
      this.pumping = false;
    }
  }

  private overHighWater(): boolean {
    const pipe = this.pipe!;
    if (!pipe.bufferedAmount) return false;
    // Waiting below the pipe's own low-water mark would wait for a drain that never comes.
    const limit = Math.max(this.highWaterMark, pipe.lowWaterMark ?? 0);
    return pipe.bufferedAmount() > limit;
  }

  private waitForDrain(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.drainWaiter = { resolve, reject };
    });
  }
}
