/**
 * The send queue: messages wait here, and go out frame by frame in the order the schedule picks
 * (send-schedule.ts: per channel in order; to a remote that takes it, small messages ahead of
 * large ones and large ones interleaved across channels). Before each frame the outbox checks
 * the pipe's buffered amount and, above the high-water mark, waits for the pipe's drain; the
 * frame is picked after that wait, so a message queued meanwhile is weighed too. So the pipe
 * holds at most about high-water mark + one frame, and a sender that awaits `send` holds
 * nothing more. To a remote that interleaves, frames of large messages also wait for room in
 * the window of unacknowledged bytes (send-window.ts). Control frames (ping, pong, ack, close)
 * bypass this queue.
 */
import type { Pipe } from '../contracts/transport';
import { ProtocolError } from '../errors';
import { SendSchedule } from './send-schedule';
import { SendWindow } from './send-window';
import type { InterleaveLimits, OutgoingMessage } from './wire';

interface Ticket {
  resolve(): void;
  reject(error: Error): void;
}

export class Outbox {
  private readonly schedule = new SendSchedule<Ticket>();
  private pipe: Pipe | undefined;
  private sendFrame: (frame: Uint8Array) => void = () => {};
  private window: SendWindow | undefined;
  private pumping = false;
  /** The pump waits for the pipe's drain, or for room in the window (an ack) or a small message. */
  private waiter: (Ticket & { for: 'drain' | 'room' }) | undefined;
  private closedWith: Error | undefined;

  constructor(private readonly highWaterMark: number) {}

  /** Queue a message on `channel`; resolves once all its frames are handed to the pipe. */
  enqueue(channel: string, message: OutgoingMessage): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise<void>((resolve, reject) => {
      this.schedule.push(channel, message, { resolve, reject });
      // While the pump waits for the pipe to drain, a new message waits too (and the pipe's
      // buffered amount, a blocking call on some engines, is not read again for it).
      if (this.pumping) this.wake('room');
      else void this.pump();
    });
  }

  /** Start sending through `pipe` (once the connection is open), in frames of `frameSize`,
   * interleaved within `interleave` (the remote's offer) if it made one. `sendFrame` hands one
   * frame to the pipe; if that ends the connection, `close` is called before it returns. */
  start(pipe: Pipe, frameSize: number, interleave: InterleaveLimits | undefined, sendFrame: (frame: Uint8Array) => void): void {
    this.pipe = pipe;
    this.schedule.configure(frameSize, interleave);
    if (interleave) this.window = new SendWindow();
    this.sendFrame = sendFrame;
    void this.pump();
  }

  /** The pipe's buffered amount fell to its low-water mark. */
  drain(): void {
    this.wake('drain');
  }

  /** The remote read `frames` more TAGGED frames. Throws a `ProtocolError` if it claims more
   * than were sent. */
  acked(frames: number): void {
    if (!this.window) throw new ProtocolError('an ack frame came, but no tagged frame was sent');
    this.window.acked(frames);
    this.wake('room');
  }

  /** Reject everything queued (and anything queued later) with `error`. */
  close(error: Error): void {
    if (this.closedWith) return;
    this.closedWith = error;
    for (const ticket of this.schedule.clear()) ticket.reject(error);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }

  private async pump(): Promise<void> {
    if (this.pumping || !this.pipe) return;
    this.pumping = true;
    try {
      while (!this.schedule.empty && !this.closedWith) {
        if (this.overHighWater()) {
          await this.wait('drain');
          continue;
        }
        const next = this.schedule.next(this.window?.open ?? true);
        if (!next) {
          await this.wait('room'); // only large messages' frames, and the window is full
          continue;
        }
        this.sendFrame(next.frame);
        if (next.tagged) this.window?.sent(next.frame.byteLength);
        // Its last frame left the schedule before it was sent: if sending ended the connection,
        // close() did not see it.
        if (this.closedWith) return next.completes?.reject(this.closedWith);
        next.completes?.resolve();
      }
    } catch {
      // Only wait rejects, and only through close(), which already rejected the queue.
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

  private wait(what: 'drain' | 'room'): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiter = { resolve, reject, for: what };
    });
  }

  private wake(what: 'drain' | 'room'): void {
    const waiter = this.waiter;
    if (waiter?.for !== what) return;
    this.waiter = undefined;
    waiter.resolve();
  }
}
