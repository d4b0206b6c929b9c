import { expect } from 'vitest';
import { LinkError } from '@whatnext/core';

/** The reason of the `LinkError` that `read` throws (a test fails if it throws anything else, or
 * nothing). */
export function refusalReason(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(LinkError);
    return (error as LinkError).reason;
  }
  throw new Error('expected a LinkError');
}
