/**
 * Heartbeat and dead-peer detection under fake timers. Only timers and Date are faked: the
 * memory pipe delivers with setImmediate, which stays real, so tests await deliveries as events
 * and move the clock explicitly.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryPipePair } from '../testing/memory-transport';
import { createConnection } from './connection';
import { LOCAL, REMOTE, SinkTap, rawRemote } from './testing';
import { FrameKind, channelNameBytes, encodeBody, messageFrames } from './wire';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** The tests tell pings and pongs by their kind byte on the pipe: in clear. */
const timing = { heartbeatIntervalMs: 1000, deadPeerTimeoutMs: 3000, encryptUnboundPipes: false };

/** Two open connections with short heartbeat timing; `tapA` observes what reaches a. */
async function openPair() {
  const a = createConnection({ local: LOCAL, ...timing });
  const b = createConnection({ local: REMOTE, ...timing });
  const tapA = new SinkTap(a.sink);
  const pipes = createMemoryPipePair(tapA, b.sink);
  a.attach(pipes.a);
  b.attach(pipes.b);
  await Promise.all([a.opened, b.opened]);
  return { a, b, tapA, pipes };
}

describe('heartbeat', () => {
  it('pings on the interval and measures the round trip', async () => {
    const { a, b, tapA } = await openPair();
    expect(a.stats().rttMs).toBeUndefined();
    const pong = tapA.next((frame) => frame[0] === FrameKind.pong);
    vi.advanceTimersByTime(1000);
    await pong;
    expect(a.stats().rttMs).toBeGreaterThanOrEqual(0);
    // Pings and pongs keep both sides alive well past the dead-peer timeout.
    for (let i = 0; i < 10; i++) {
      const next = tapA.next((frame) => frame[0] === FrameKind.pong);
      vi.advanceTimersByTime(1000);
      await next;
    }
    expect([a.state, b.state]).toEqual(['open', 'open']);
    a.close();
    await b.closed;
    await a.closed;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('declares a silent peer dead after the timeout, not before', async () => {
    const r = rawRemote(timing);
    await r.handshake();
    vi.advanceTimersByTime(2999);
    expect(r.connection.state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(r.connection.state).toBe('failed');
    expect(r.connection.closeReason).toEqual({
      by: 'error',
      code: 'peer-timeout',
      stage: 'open',
      message: 'no frame from the remote for 3000 ms',
    });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts any frame as a sign of life, so a long transfer never times out', async () => {
    const r = rawRemote({ ...timing, maxMessageSize: 1 << 20 });
    await r.handshake();
    const body = new Uint8Array(20 * 1000).map((_, i) => i);
    const frames = [...messageFrames({ type: 'data', channel: channelNameBytes('big'), id: 0, ...encodeBody(body) }, 1000)];
    const got = new Promise<Uint8Array>((resolve) => r.connection.channel('big').onMessage((m) => resolve(m as Uint8Array)));
    // One frame every 2 s, the remote answering no pings: 40 s of trickle against a 3 s timeout.
    for (const frame of frames) {
      vi.advanceTimersByTime(2000);
      await r.deliver(frame);
      expect(r.connection.state).toBe('open');
    }
    expect(Array.from(await got)).toEqual(Array.from(body));
    vi.advanceTimersByTime(3000);
    expect(r.connection.closeReason?.code).toBe('peer-timeout');
  });

  it('times out a remote that never says hello', async () => {
    const r = rawRemote(timing);
    vi.advanceTimersByTime(3000);
    expect(r.connection.closeReason).toMatchObject({ by: 'error', code: 'peer-timeout', stage: 'handshake' });
    await expect(r.connection.opened).rejects.toThrow(/peer-timeout/);
  });

  it('lets a side whose reader stalls time out, and tells the other side why', async () => {
    const { a, b, tapA, pipes } = await openPair();
    pipes.b.pauseReading(); // b hears nothing more, while a keeps hearing b's pings
    for (let i = 0; i < 2; i++) {
      const ping = tapA.next((frame) => frame[0] === FrameKind.ping);
      vi.advanceTimersByTime(1000);
      await ping;
    }
    vi.advanceTimersByTime(1000);
    expect(b.closeReason?.code).toBe('peer-timeout');
    expect(await a.closed).toMatchObject({ by: 'remote', code: 'peer-timeout' });
    pipes.b.resumeReading();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops pinging once closing', async () => {
    const r = rawRemote({ ...timing, closeTimeoutMs: 500 });
    await r.handshake();
    const closed = r.connection.close();
    vi.advanceTimersByTime(500);
    await closed;
    expect(r.connection.closeReason?.by).toBe('local');
    expect(vi.getTimerCount()).toBe(0);
  });
});
