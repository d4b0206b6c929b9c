import { describe, expect, it } from 'vitest';
import { formatDuration, formatTotal, parseDuration } from './duration';

describe('track durations', () => {
  it('reads what people type', () => {
    expect(parseDuration('3:45')).toBe(225_000);
    expect(parseDuration('1:02:03')).toBe(3_723_000);
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('')).toBe(0);
    expect(parseDuration('3:75')).toBeUndefined();
    expect(parseDuration('five')).toBeUndefined();
  });

  it('shows minutes and seconds (hours when needed)', () => {
    expect(formatDuration(225_000)).toBe('3:45');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(5_000)).toBe('0:05');
  });

  it('shows a playlist’s length in minutes, and hours past one', () => {
    expect(formatTotal(47 * 60_000 + 20_000)).toBe('47 min');
    expect(formatTotal(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 05 min');
    expect(formatTotal(59 * 60_000 + 40_000)).toBe('1 h 00 min');
    expect(formatTotal(4_000)).toBe('1 min');
    expect(formatTotal(556 * 3_600_000 + 57 * 60_000)).toBe('557 h');
    expect(formatTotal(1234 * 3_600_000)).toBe('1,234 h');
  });
});
