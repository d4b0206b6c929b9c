/**
 * The window of TAGGED bytes sent and not yet acknowledged (see wire.ts, ACK). Large messages
 * go out only while the window has room; small ones never wait for it. The bytes in flight are
 * what sits in the queues under the pipe (for WebRTC, the SCTP send buffer its `bufferedAmount`
 * does not show) and in the remote's unread input: everything a small message sent now waits
 * behind.
 *
 * The window's size follows the delay its frames meet, as LEDBAT (RFC 6817) does: each ACK
 * gives a round trip, the lowest lately seen is the path's own, and what is above it is
 * queueing. Below `TARGET_QUEUE_MS` the window grows by up to a frame per window acknowledged,
 * above it shrinks the same way; so it settles near the rate times the path's round trip plus
 * the target, large enough to keep a long path full and small enough that a short one holds
 * only a few milliseconds of a transfer.
 */
import { ProtocolError } from '../errors';
import { TAGGED_FRAME_SIZE } from './wire';

/** Queueing delay the window aims for: what a small message on another channel waits behind a
 * bulk transfer, at most a few of these. Lower keeps pings faster and costs throughput (`npm run
 * bench fairness` weighs the two). */
export const TARGET_QUEUE_MS = 2;
export const INITIAL_WINDOW = 512 * 1024;
/** Two frames of a large message (`TAGGED_FRAME_SIZE`): one in flight while the next is sent,
 * or a busy receiver that acknowledges late stalls the transfer at every frame. */
export const MIN_WINDOW = 2 * TAGGED_FRAME_SIZE;
export const MAX_WINDOW = 16 * 1024 * 1024;
/** The path's round trip is the lowest of this period and the one before (a path can change). */
const BASE_RTT_PERIOD_MS = 10_000;

interface InFlight {
  bytes: number;
  sentAt: number;
}

export class SendWindow {
  size = INITIAL_WINDOW;
  private readonly frames: InFlight[] = [];
  private head = 0;
  private bytes = 0;
  private lowest = Infinity;
  private lowestBefore = Infinity;
  private periodStart = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Whether another TAGGED frame may go now. */
  get open(): boolean {
    return this.bytes < this.size;
  }

  get inFlight(): number {
    return this.bytes;
  }

  sent(bytes: number): void {
    this.frames.push({ bytes, sentAt: this.now() });
    this.bytes += bytes;
  }

  /** The remote read `count` more TAGGED frames. Throws a `ProtocolError` for more than were sent. */
  acked(count: number): void {
    if (count > this.frames.length - this.head) throw new ProtocolError(`an ack of ${count} frames, with ${this.frames.length - this.head} in flight`);
    const now = this.now();
    let bytes = 0;
    let last: InFlight | undefined;
    for (let i = 0; i < count; i++) {
      last = this.frames[this.head++]!;
      bytes += last.bytes;
    }
    this.bytes -= bytes;
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames.splice(0, this.head);
      this.head = 0;
    }
    this.adapt(bytes, now - last!.sentAt, now);
  }

  private adapt(bytes: number, rtt: number, now: number): void {
    if (now - this.periodStart > BASE_RTT_PERIOD_MS) {
      this.lowestBefore = this.lowest;
      this.lowest = Infinity;
      this.periodStart = now;
    }
    this.lowest = Math.min(this.lowest, rtt);
    const queueing = rtt - Math.min(this.lowest, this.lowestBefore);
    const offTarget = Math.max(-1, (TARGET_QUEUE_MS - queueing) / TARGET_QUEUE_MS);
    const step = (offTarget * bytes * TAGGED_FRAME_SIZE) / this.size;
    this.size = Math.min(MAX_WINDOW, Math.max(MIN_WINDOW, this.size + step));
  }
}
