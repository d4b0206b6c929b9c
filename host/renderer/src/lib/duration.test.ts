import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration';

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
});
