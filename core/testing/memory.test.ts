import { describe, expect, it } from 'vitest';
import type { Pipe } from '../contracts/transport';
import { TransportError } from '../errors';
import { describeTransportConformance, fromTransport } from './conformance';
import { RecordingSink } from './helpers';
import { createMemoryPipePair, createMemoryTransport, memoryTransport, pairFromTransport, pendingMemoryRendezvous, type MemoryPipe } from './memory-transport';

const memoryHooks = {
  pauseReading: (pipe: Pipe) => (pipe as MemoryPipe).pauseReading(),
  resumeReading: (pipe: Pipe) => (pipe as MemoryPipe).resumeReading(),
  breakPipe: (pipe: Pipe) => (pipe as MemoryPipe).destroy(new Error('cable cut')),
};

describeTransportConformance('memory pipe pair', {
  connect: async (sinkA, sinkB) => createMemoryPipePair(sinkA, sinkB),
  ...memoryHooks,
});

describeTransportConformance('memory pipe pair, 1 KiB frames, no bufferedAmount', {
  connect: async (sinkA, sinkB) => createMemoryPipePair(sinkA, sinkB, { maxFrameSize: 1024, withoutBufferedAmount: true }),
});

describeTransportConformance('memory transport through signals (trickle)', fromTransport(memoryTransport, memoryHooks));

describeTransportConformance(
  'memory transport through signals (no trickle, 64 KiB frames)',
  fromTransport(createMemoryTransport({ maxFrameSize: 64 * 1024 }), { ...memoryHooks, trickle: false }),
);

describe('memory pipe specifics', () => {
  it('grows bufferedAmount while the reader is paused and drains after resume', async () => {
    const sinkA = new RecordingSink();
    const sinkB = new RecordingSink();
    const { a, b } = createMemoryPipePair(sinkA, sinkB, { maxFrameSize: 1024, lowWaterMark: 2048 });
    b.pauseReading();
    for (let i = 0; i < 10; i++) a.send(new Uint8Array(1024).fill(i));
    expect(a.bufferedAmount!()).toBe(10 * 1024);
    expect(sinkB.frames).toHaveLength(0);
    b.resumeReading();
    await sinkA.until(() => sinkA.drains > 0, 'drain');
    await sinkB.until(() => sinkB.frames.length === 10, 'frames');
    expect(a.bufferedAmount!()).toBe(0);
    expect(sinkB.frames.map((f) => f[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    a.close();
    await Promise.all([sinkA.untilClosed(), sinkB.untilClosed()]);
  });

  it('delivers frames sent before close, then closes the remote', async () => {
    const sinkA = new RecordingSink();
    const sinkB = new RecordingSink();
    const { a } = createMemoryPipePair(sinkA, sinkB);
    a.send(new Uint8Array([1]));
    a.send(new Uint8Array([2]));
    a.close();
    await sinkB.untilClosed();
    expect(sinkB.frames.map((f) => f[0])).toEqual([1, 2]);
    expect(sinkB.closes).toEqual([undefined]);
  });

  it('copies frames: the sender may reuse its buffer', async () => {
    const sinkA = new RecordingSink();
    const sinkB = new RecordingSink();
    const { a } = createMemoryPipePair(sinkA, sinkB);
    const buffer = new Uint8Array([7]);
    a.send(buffer);
    buffer[0] = 9;
    await sinkB.until(() => sinkB.frames.length === 1, 'frame');
    expect(sinkB.frames[0]![0]).toBe(7);
    a.close();
  });

  it('refuses frames over maxFrameSize', () => {
    const { a } = createMemoryPipePair(new RecordingSink(), new RecordingSink(), { maxFrameSize: 1024 });
    expect(() => a.send(new Uint8Array(1025))).toThrow(RangeError);
    a.destroy();
  });

  it('destroy ends both sides with the error', async () => {
    const sinkA = new RecordingSink();
    const sinkB = new RecordingSink();
    const { a, b } = createMemoryPipePair(sinkA, sinkB);
    b.destroy(new Error('boom'));
    await Promise.all([sinkA.untilClosed(), sinkB.untilClosed()]);
    expect(sinkA.closes[0]?.message).toBe('boom');
    expect(sinkB.closes[0]?.message).toBe('boom');
    expect(a.isClosed && b.isClosed).toBe(true);
  });
});

describe('memory transport', () => {
  it('leaves no rendezvous behind, whether the dial completes or is aborted', async () => {
    const before = pendingMemoryRendezvous();
    const sinkA = new RecordingSink();
    const sinkB = new RecordingSink();
    const pair = await pairFromTransport(memoryTransport, { sinkA, sinkB });
    expect(pair.signals).toEqual({ a: 2, b: 1 }); // offer + candidate, answer
    pair.a.close();
    await sinkB.untilClosed();

    const abort = new AbortController();
    const dial = memoryTransport.dial({ initiator: true, sink: new RecordingSink(), sendSignal: () => {}, stage: () => {}, abort: abort.signal });
    expect(pendingMemoryRendezvous()).toBe(before + 1);
    abort.abort();
    await expect(dial.pipe).rejects.toBeInstanceOf(TransportError);
    expect(pendingMemoryRendezvous()).toBe(before);
  });

  it('reports its stages and closes the pipe when aborted after opening', async () => {
    const abort = new AbortController();
    const stages: string[] = [];
    const sinkA = new RecordingSink();
    let offer: unknown;
    const dialA = memoryTransport.dial({
      initiator: true,
      sink: sinkA,
      sendSignal: (s) => (offer ??= s),
      stage: (s) => stages.push(s),
      abort: abort.signal,
      trickle: false,
    });
    const dialB = memoryTransport.dial({
      initiator: false,
      sink: new RecordingSink(),
      sendSignal: (s) => dialA.signal(s),
      stage: () => {},
      abort: new AbortController().signal,
    });
    dialB.signal(offer);
    const pipe = await dialA.pipe;
    expect(stages).toEqual(['signaling', 'channel']);
    abort.abort();
    await sinkA.untilClosed();
    expect(() => pipe.send(new Uint8Array([1]))).toThrow();
  });

  it('pairFromTransport rejects when a side refuses a signal', async () => {
    const broken = {
      ...memoryTransport,
      dial: (options: Parameters<typeof memoryTransport.dial>[0]) => {
        const dial = memoryTransport.dial(options);
        return options.initiator
          ? {
              pipe: dial.pipe,
              signal: () => {
                throw new TransportError('signaling', 'refused');
              },
            }
          : dial;
      },
    };
    await expect(pairFromTransport(broken, { sinkA: new RecordingSink(), sinkB: new RecordingSink() })).rejects.toThrow('refused');
  });
});
