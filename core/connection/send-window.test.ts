import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors';
import { INITIAL_WINDOW, MAX_WINDOW, MIN_WINDOW, SendWindow, TARGET_QUEUE_MS } from './send-window';

const FRAME = 64 * 1024;

/** A window on a clock the test moves. */
function windowAt() {
  let now = 0;
  const window = new SendWindow(() => now);
  return {
    window,
    /** Send a window's worth of frames, `rtt` ms later have them all acknowledged. */
    roundTrip(rtt: number) {
      const frames = Math.max(1, Math.floor(window.size / FRAME));
      for (let i = 0; i < frames; i++) window.sent(FRAME);
      now += rtt;
      window.acked(frames);
    },
  };
}

describe('send window', () => {
  it('closes once a window of bytes is unacknowledged, and opens as acks come', () => {
    const { window } = windowAt();
    expect(window.size).toBe(INITIAL_WINDOW);
    let sent = 0;
    while (window.open) {
      window.sent(FRAME);
      sent++;
    }
    expect(window.inFlight).toBe(INITIAL_WINDOW);
    expect(sent).toBe(INITIAL_WINDOW / FRAME);
    window.acked(1);
    expect(window.open).toBe(true);
    expect(window.inFlight).toBe(INITIAL_WINDOW - FRAME);
  });

  it('refuses an ack of more frames than are in flight', () => {
    const { window } = windowAt();
    window.sent(FRAME);
    expect(() => window.acked(2)).toThrow(ProtocolError);
  });

  it('grows while round trips stay at the path’s own, and shrinks when they queue past the target', () => {
    const t = windowAt();
    t.roundTrip(2);
    for (let i = 0; i < 50; i++) t.roundTrip(2);
    const grown = t.window.size;
    expect(grown).toBeGreaterThan(INITIAL_WINDOW);
    for (let i = 0; i < 50; i++) t.roundTrip(2 + 4 * TARGET_QUEUE_MS);
    expect(t.window.size).toBeLessThan(grown);
  });

  it('stays within its bounds', () => {
    const t = windowAt();
    t.roundTrip(1);
    for (let i = 0; i < 2000; i++) t.roundTrip(1);
    expect(t.window.size).toBe(MAX_WINDOW);
    // A window's worth acknowledged moves it by at most a frame: from the top to the bottom
    // takes (MAX - MIN) / MIN round trips, well within the period the path's round trip stands.
    for (let i = 0; i < (MAX_WINDOW - MIN_WINDOW) / (64 * 1024) + 10; i++) t.roundTrip(1 + 2 * TARGET_QUEUE_MS);
    expect(t.window.size).toBe(MIN_WINDOW);
  });
});
