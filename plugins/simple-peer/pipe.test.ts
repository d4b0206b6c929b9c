import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TransportError, type PipeSink } from '../../core';
import { DRAIN_POLL_MS, DataChannelPipe, type ChannelLike } from './pipe';

class FakeChannel implements ChannelLike {
  bufferedAmount = 0;
  readyState = 'open';
  sent: Uint8Array[] = [];
  listeners = new Set<() => void>();
  bufferedAmountLowThreshold?: number;
  send(data: Uint8Array): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError');
    this.sent.push(data);
    this.bufferedAmount += data.byteLength;
  }
}

class EventChannel extends FakeChannel {
  override bufferedAmountLowThreshold = 0;
  addEventListener(_: 'bufferedamountlow', listener: () => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_: 'bufferedamountlow', listener: () => void): void {
    this.listeners.delete(listener);
  }
}

function sink(): PipeSink & { drains: number; closes: (Error | undefined)[] } {
  const s = { drains: 0, closes: [] as (Error | undefined)[], frame() {}, drain: () => void s.drains++, closed: (e?: Error) => void s.closes.push(e) };
  return s;
}

describe('DataChannelPipe', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('uses bufferedamountlow where the engine has it', () => {
    const channel = new EventChannel();
    const s = sink();
    const pipe = new DataChannelPipe(channel, s, 1024, () => {}, 2048);
    expect(channel.bufferedAmountLowThreshold).toBe(2048);
    pipe.send(new Uint8Array(1024));
    expect(pipe.bufferedAmount()).toBe(1024);
    for (const listener of channel.listeners) listener();
    expect(s.drains).toBe(1);
    expect(vi.getTimerCount()).toBe(0); // no polling
    pipe.detach();
    expect(channel.listeners.size).toBe(0);
  });

  it('without it (as @roamhq/wrtc), polls bufferedAmount only while above the low-water mark', () => {
    const channel = new FakeChannel();
    const s = sink();
    const pipe = new DataChannelPipe(channel, s, 1024, () => {}, 2048);
    pipe.send(new Uint8Array(1024));
    pipe.send(new Uint8Array(1024));
    expect(vi.getTimerCount()).toBe(0); // at the mark: nothing to wait for
    pipe.send(new Uint8Array(1024));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(DRAIN_POLL_MS * 3);
    expect(s.drains).toBe(0);
    channel.bufferedAmount = 2048;
    vi.advanceTimersByTime(DRAIN_POLL_MS);
    expect(s.drains).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reads the engine\'s bufferedAmount (a blocking call in wrtc) only when it could be over the mark', () => {
    let reads = 0;
    let queued = 0; // what the engine holds; our sends add to it
    const channel: ChannelLike = {
      readyState: 'open',
      get bufferedAmount() {
        reads++;
        return queued;
      },
      send: (data) => void (queued += data.byteLength),
    };
    const pipe = new DataChannelPipe(channel, sink(), 1024, () => {}, 4096);
    for (let i = 0; i < 4; i++) pipe.send(new Uint8Array(1024)); // 4096 sent: cannot be over
    expect(reads).toBe(0);
    queued = 0; // the engine sent them meanwhile
    pipe.send(new Uint8Array(1024)); // the bound says maybe: one read, which finds room
    expect(reads).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    pipe.send(new Uint8Array(1024));
    expect(reads).toBe(1); // the bound was refreshed by that read
  });

  it('stops polling when detached, and refuses frames after', () => {
    const channel = new FakeChannel();
    const s = sink();
    const pipe = new DataChannelPipe(channel, s, 1024, () => {}, 10);
    pipe.send(new Uint8Array(100));
    expect(vi.getTimerCount()).toBe(1);
    pipe.detach();
    expect(vi.getTimerCount()).toBe(0);
    expect(pipe.bufferedAmount()).toBe(0);
    expect(() => pipe.send(new Uint8Array(1))).toThrow(TransportError);
    expect(s.drains).toBe(0);
  });

  it('refuses an oversized frame and reports a channel closed under it as a TransportError', () => {
    const channel = new FakeChannel();
    const pipe = new DataChannelPipe(channel, sink(), 1024, () => {});
    expect(() => pipe.send(new Uint8Array(1025))).toThrow(RangeError);
    pipe.send(new Uint8Array(1024));
    channel.readyState = 'closing';
    expect(() => pipe.send(new Uint8Array(1))).toThrow(/the data channel is closing/);
  });

  it('close() hands over to the session', () => {
    const close = vi.fn();
    new DataChannelPipe(new FakeChannel(), sink(), 1024, close).close();
    expect(close).toHaveBeenCalledOnce();
  });
});
