/**
 * Which frame a connection sends next. Messages queue per channel, and each channel's messages
 * go out in the order they were sent; across channels:
 *
 * - To a remote that takes interleaved messages (its hello's `interleave`, see wire.ts):
 *   messages that fit in one frame (control, requests, live edits) go first, in the order they
 *   were sent; a message of several frames goes one frame per turn, round-robin with the other
 *   channels' large messages, so a small message waits for at most the frame being sent, and
 *   large messages on different channels share the pipe. Small means it fits in one frame of
 *   the size large messages are cut to (`TAGGED_FRAME_SIZE`). After a frame's worth of small
 *   frames in a row, a waiting large message gets a frame, so a stream of small messages cannot
 *   stall it. A large message starts only within the remote's limits (how many in progress,
 *   their declared bytes); the first one in progress always may. The caller says whether a
 *   large message's frame may go now at all (the send window, send-window.ts).
 * - To a remote that does not: whole messages, one after the other, in the order they were sent
 *   across the connection (what such a remote's reassembly requires).
 *
 * Frames are cut only when picked, so the caller decides at each frame, after any wait for the
 * pipe to drain, and a message queued meanwhile is considered.
 */
import { FrameCutter, TAGGED_FRAME_SIZE, fitsOneFrame, type InterleaveLimits, type OutgoingMessage } from './wire';

interface Entry<T> {
  readonly channel: string;
  readonly message: OutgoingMessage;
  readonly ticket: T;
  /** Order of sending, across the connection. */
  readonly seq: number;
  /** Set once its first frame is cut. */
  cutter: FrameCutter | undefined;
  tag: number | undefined;
}

export interface NextFrame<T> {
  frame: Uint8Array;
  /** The message this frame completes, if it is its last. */
  completes: T | undefined;
  /** A TAGGED frame (of a large message, to a remote that interleaves). */
  tagged: boolean;
}

export class SendSchedule<T> {
  /** Channels with messages queued, in round-robin order (the next to serve first). */
  private readonly channels = new Map<string, Entry<T>[]>();
  private seq = 0;
  private frameSize = 0;
  /** Frame size of large messages when interleaving; small ones fit in one such frame. */
  private taggedFrameSize = 0;
  private interleave: InterleaveLimits | undefined;
  /** Large messages started and not finished: what the remote holds in progress. */
  private readonly inProgress = new Set<Entry<T>>();
  private declared = 0;
  private lastTag = 0;
  /** Bytes of small frames sent since the last frame of a large message. */
  private smallRun = 0;

  /** Set how frames are cut (once the connection is open): at most `frameSize` bytes, and
   * interleaved within `interleave`, or never without it. */
  configure(frameSize: number, interleave: InterleaveLimits | undefined): void {
    this.frameSize = frameSize;
    this.taggedFrameSize = Math.min(frameSize, TAGGED_FRAME_SIZE);
    this.interleave = interleave;
  }

  push(channel: string, message: OutgoingMessage, ticket: T): void {
    const entry: Entry<T> = { channel, message, ticket, seq: this.seq++, cutter: undefined, tag: undefined };
    const queue = this.channels.get(channel);
    if (queue) queue.push(entry);
    else this.channels.set(channel, [entry]);
  }

  get empty(): boolean {
    return this.channels.size === 0;
  }

  /** The next frame to send, or undefined if nothing is queued, or only frames of large messages
   * and `largeAllowed` is false. (A large message that must wait for room in the remote's
   * limits always has one in progress ahead of it.) Without interleaving, every frame is allowed. */
  next(largeAllowed = true): NextFrame<T> | undefined {
    if (this.channels.size === 0) return undefined;
    return this.interleave ? this.nextInterleaved(this.interleave, largeAllowed) : this.nextInOrder();
  }

  /** Empty the schedule: every message not yet sent whole, to be failed by the caller. */
  clear(): T[] {
    const tickets = [...this.channels.values()].flatMap((queue) => queue.map((entry) => entry.ticket));
    this.channels.clear();
    this.inProgress.clear();
    this.declared = 0;
    return tickets;
  }

  private nextInOrder(): NextFrame<T> {
    const [started] = this.inProgress;
    if (started) return this.cut(started);
    const entry = this.oldestHead(() => true)!;
    entry.cutter = new FrameCutter(entry.message, this.frameSize);
    this.inProgress.add(entry);
    return this.cut(entry);
  }

  private nextInterleaved(limits: InterleaveLimits, largeAllowed: boolean): NextFrame<T> | undefined {
    const small = this.oldestHead((entry) => !entry.cutter && this.isSmall(entry.message));
    const large = !largeAllowed || (small && this.smallRun < this.taggedFrameSize) ? undefined : this.largeHead(limits);
    if (large) {
      this.smallRun = 0;
      // Served: its channel goes to the back of the round.
      const queue = this.channels.get(large.channel)!;
      this.channels.delete(large.channel);
      this.channels.set(large.channel, queue);
      return this.cut(large);
    }
    if (!small) return undefined;
    // No large message may go: the run of small frames starts over.
    if (this.smallRun >= this.taggedFrameSize) this.smallRun = 0;
    small.cutter = new FrameCutter(small.message, this.frameSize);
    const next = this.cut(small);
    this.smallRun += next.frame.byteLength;
    return next;
  }

  /** The channel head that came first among those `eligible`. */
  private oldestHead(eligible: (entry: Entry<T>) => boolean): Entry<T> | undefined {
    let oldest: Entry<T> | undefined;
    for (const queue of this.channels.values()) {
      const head = queue[0]!;
      if (eligible(head) && (!oldest || head.seq < oldest.seq)) oldest = head;
    }
    return oldest;
  }

  /** The first channel head in round-robin order that is a large message under way or one that
   * may start; starting it gives it a tag. */
  private largeHead(limits: InterleaveLimits): Entry<T> | undefined {
    for (const queue of this.channels.values()) {
      const head = queue[0]!;
      if (this.inProgress.has(head)) return head;
      if (head.cutter || this.isSmall(head.message) || !this.roomFor(head.message, limits)) continue;
      head.tag = this.freeTag();
      head.cutter = new FrameCutter(head.message, this.taggedFrameSize, head.tag);
      this.inProgress.add(head);
      this.declared += head.message.body.byteLength;
      return head;
    }
    return undefined;
  }

  /** A message that goes whole in one untagged frame, ahead of large ones. */
  private isSmall(message: OutgoingMessage): boolean {
    return fitsOneFrame(message, this.taggedFrameSize);
  }

  private roomFor(message: OutgoingMessage, limits: InterleaveLimits): boolean {
    if (this.inProgress.size === 0) return true;
    return this.inProgress.size < limits.messages && this.declared + message.body.byteLength <= limits.bytes;
  }

  private freeTag(): number {
    const used = new Set([...this.inProgress].map((entry) => entry.tag));
    do this.lastTag = (this.lastTag + 1) >>> 0;
    while (used.has(this.lastTag));
    return this.lastTag;
  }

  /** Cut the entry's next frame; once it is cut whole, it leaves its channel's queue. */
  private cut(entry: Entry<T>): NextFrame<T> {
    const cutter = entry.cutter!;
    const frame = cutter.next();
    const tagged = entry.tag !== undefined;
    if (!cutter.done) return { frame, completes: undefined, tagged };
    if (this.inProgress.delete(entry) && entry.tag !== undefined) this.declared -= entry.message.body.byteLength;
    const queue = this.channels.get(entry.channel)!;
    queue.shift();
    if (queue.length === 0) this.channels.delete(entry.channel);
    return { frame, completes: entry.ticket, tagged };
  }
}
