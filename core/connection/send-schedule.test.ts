import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reassembler } from './reassembly';
import { SendSchedule, type NextFrame } from './send-schedule';
import { Encoding, TAGGED_FRAME_SIZE, channelNameBytes, decodeFrame, type InterleaveLimits, type OutgoingMessage } from './wire';

const FRAME = 256 * 1024;
const ROOMY: InterleaveLimits = { messages: 16, bytes: 1 << 30 };

function message(channel: string, bytes: number, seed = 0): OutgoingMessage {
  return { type: 'data', channel: channelNameBytes(channel), id: 0, encoding: Encoding.bytes, body: new Uint8Array(bytes).fill(seed & 0xff) };
}

/** What a frame is, for assertions: its message's channel, and the message it completes. */
interface Sent {
  channel: string;
  tagged: boolean;
  completes: string | undefined;
}

/** A schedule whose tickets are names, taken from frame by frame as the outbox does, each frame
 * also fed to a receiver holding the same limits (which throws if the sender broke them). */
function scheduled(offer: InterleaveLimits | 'none' = ROOMY) {
  const interleave = offer === 'none' ? undefined : offer;
  const schedule = new SendSchedule<string>();
  schedule.configure(FRAME, interleave);
  const receiver = new Reassembler(1 << 30, interleave ?? { messages: 1, bytes: 1 << 30 });
  const sent: Sent[] = [];
  const channelOfTag = new Map<number, string>();
  let untaggedChannel = '';
  const push = (name: string, channel: string, bytes: number) => schedule.push(channel, message(channel, bytes), name);
  const take = (largeAllowed = true): Sent | undefined => {
    const next: NextFrame<string> | undefined = schedule.next(largeAllowed);
    if (!next) return undefined;
    expect(next.frame.byteLength).toBeLessThanOrEqual(FRAME);
    const frame = decodeFrame(next.frame);
    if (frame.kind !== 'start' && frame.kind !== 'chunk') throw new Error(`a ${frame.kind} frame from the schedule`);
    expect(next.tagged).toBe(frame.tag !== undefined);
    if (frame.kind === 'start') {
      if (frame.tag === undefined) untaggedChannel = frame.channel;
      else channelOfTag.set(frame.tag, frame.channel);
    }
    receiver.push(frame);
    const entry = { channel: frame.tag === undefined ? untaggedChannel : channelOfTag.get(frame.tag)!, tagged: next.tagged, completes: next.completes };
    sent.push(entry);
    return entry;
  };
  const takeAll = (largeAllowed = true) => {
    const taken: Sent[] = [];
    for (let i = 0; i < 100_000; i++) {
      const one = take(largeAllowed);
      if (!one) return taken;
      taken.push(one);
    }
    throw new Error('the schedule never ran out');
  };
  /** The names of messages in the order their last frame went. */
  const completed = () => sent.flatMap((s) => (s.completes === undefined ? [] : [s.completes]));
  return { schedule, receiver, push, take, takeAll, sent, completed };
}

describe('send schedule, to a remote that interleaves', () => {
  it('sends a small message queued after a large one has started before the large one goes on', () => {
    const s = scheduled();
    s.push('large', 'bulk', 1024 * 1024);
    expect(s.take()).toEqual({ channel: 'bulk', tagged: true, completes: undefined });
    s.push('small', 'live', 100);
    expect(s.take()).toEqual({ channel: 'live', tagged: false, completes: 'small' });
    s.takeAll();
    expect(s.completed()).toEqual(['small', 'large']);
  });

  it('sends small messages queued at once ahead of large ones, in the order they were sent across channels', () => {
    const s = scheduled();
    s.push('large a', 'a', 512 * 1024);
    s.push('small b1', 'b', 10);
    s.push('large c', 'c', 512 * 1024);
    s.push('small d', 'd', 10);
    s.push('small b2', 'b', 10);
    s.takeAll();
    expect(s.completed().slice(0, 3)).toEqual(['small b1', 'small d', 'small b2']);
  });

  it('keeps a small message behind a large one on its own channel', () => {
    const s = scheduled();
    s.push('large', 'bulk', 512 * 1024);
    s.push('small after', 'bulk', 10);
    s.push('small elsewhere', 'live', 10);
    s.takeAll();
    expect(s.completed()).toEqual(['small elsewhere', 'large', 'small after']);
  });

  it('lets large messages on different channels take turns frame by frame', () => {
    const s = scheduled();
    s.push('a', 'a', 4 * TAGGED_FRAME_SIZE);
    s.push('b', 'b', 4 * TAGGED_FRAME_SIZE);
    expect(Array.from({ length: 8 }, () => s.take()!.channel)).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('gives a large message a frame after each frame’s worth of small ones, so a stream of them cannot stall it', () => {
    const s = scheduled();
    s.push('large', 'bulk', 2 * TAGGED_FRAME_SIZE);
    for (let i = 0; i < 400; i++) s.push(`small ${i}`, 'live', 1000);
    s.takeAll();
    const order = s.sent.map((f) => (f.tagged ? 'L' : 's'));
    const runs = order.join('').split('L').slice(1, -1);
    expect(runs.length).toBeGreaterThan(0);
    // At most a frame's worth of 1000-byte messages (each a little over 1000 bytes framed) between large frames.
    for (const run of runs) expect(run.length).toBeLessThanOrEqual(Math.ceil(TAGGED_FRAME_SIZE / 1000));
    expect(s.completed().indexOf('large')).toBeLessThan(s.completed().indexOf('small 399'));
  });

  it('sends only small frames while large ones may not go (the window is full)', () => {
    const s = scheduled();
    s.push('large', 'bulk', 512 * 1024);
    s.push('small', 'live', 10);
    expect(s.takeAll(false).map((f) => f.completes)).toEqual(['small']);
    expect(s.schedule.empty).toBe(false);
    expect(s.takeAll(true).every((f) => f.tagged)).toBe(true);
    expect(s.schedule.empty).toBe(true);
  });

  it('starts a large message only within the remote’s limits, and the first one whatever its size', () => {
    const s = scheduled({ messages: 2, bytes: 4 * TAGGED_FRAME_SIZE });
    const large = TAGGED_FRAME_SIZE + 100; // two frames
    s.push('huge', 'a', 8 * TAGGED_FRAME_SIZE); // alone in progress: may go, beyond the bytes limit
    s.push('b', 'b', large); // beside it, over the bytes limit: waits
    s.push('c', 'c', large);
    s.push('d', 'd', large); // beside b and c, over the count: waits
    s.takeAll(); // the receiver, holding the same limits, refuses nothing
    const hugeDone = s.sent.findIndex((f) => f.completes === 'huge');
    expect(s.sent.slice(0, hugeDone + 1).every((f) => f.channel === 'a')).toBe(true);
    // b and c take turns; d starts once b is done.
    expect(s.sent.slice(hugeDone + 1).map((f) => f.channel)).toEqual(['b', 'c', 'b', 'd', 'c', 'd']);
    expect(s.completed()).toEqual(['huge', 'b', 'c', 'd']);
  });

  it('keeps each channel in order and stays within the remote’s limits, whatever is sent', () => {
    const sizes = [0, 10, 5000, TAGGED_FRAME_SIZE - 20, TAGGED_FRAME_SIZE + 1, 3 * TAGGED_FRAME_SIZE, FRAME + 7];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(...sizes), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 40 }),
        fc.record({ messages: fc.integer({ min: 1, max: 4 }), bytes: fc.integer({ min: 1, max: 8 * TAGGED_FRAME_SIZE }) }),
        fc.array(fc.boolean(), { maxLength: 60 }),
        (sends, limits, windowOpen) => {
          const schedule = new SendSchedule<number>();
          schedule.configure(FRAME, limits);
          const reassembler = new Reassembler(1 << 30, limits);
          const arrived = new Map<string, number[]>();
          const completes: number[] = [];
          let turn = 0;
          const takeSome = (frames: number) => {
            for (let i = 0; i < frames; i++) {
              const next = schedule.next(windowOpen[turn++ % Math.max(1, windowOpen.length)] ?? true);
              if (!next) return;
              if (next.completes !== undefined) completes.push(next.completes);
              const message = reassembler.push(decodeFrame(next.frame) as Parameters<Reassembler['push']>[0]);
              if (message) arrived.set(message.channel, [...(arrived.get(message.channel) ?? []), message.body[0] ?? -1]);
            }
          };
          const expected = new Map<string, number[]>();
          sends.forEach(([channel, bytes, frames], i) => {
            const name = `c${channel}`;
            schedule.push(name, message(name, bytes, i), i);
            expected.set(name, [...(expected.get(name) ?? []), bytes === 0 ? -1 : i & 0xff]);
            takeSome(frames);
          });
          for (let i = 0; i < 10_000 && !schedule.empty; i++) takeSome(1 + (windowOpen.length === 0 ? 0 : 1));
          for (let next = schedule.next(); next; next = schedule.next()) {
            if (next.completes !== undefined) completes.push(next.completes);
            const message = reassembler.push(decodeFrame(next.frame) as Parameters<Reassembler['push']>[0]);
            if (message) arrived.set(message.channel, [...(arrived.get(message.channel) ?? []), message.body[0] ?? -1]);
          }
          expect(schedule.empty).toBe(true);
          expect(reassembler.busy).toBe(false);
          expect(arrived).toEqual(expected);
          expect([...completes].sort((x, y) => x - y)).toEqual(sends.map((_, i) => i));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('send schedule, to a remote that does not interleave', () => {
  it('sends whole messages, untagged, in the order they were sent across the connection', () => {
    const s = scheduled('none');
    s.push('large', 'bulk', 3 * FRAME);
    s.take();
    s.push('small', 'live', 10);
    s.takeAll();
    expect(s.sent.every((f) => !f.tagged)).toBe(true);
    expect(s.completed()).toEqual(['large', 'small']);
    // Large frames are cut at the full frame size here.
    expect(s.sent.length).toBe(4 + 1);
  });
});
