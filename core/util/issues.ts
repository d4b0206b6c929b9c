/** A zod error as words for a person: its first few problems, and how many more there are (a
 * request with 10,000 bad tracks says so in a line, not in ten thousand). */
import { z } from 'zod';

export const MAX_ISSUES_SHOWN = 8;

export function describeIssues(error: z.ZodError, max = MAX_ISSUES_SHOWN): string {
  if (error.issues.length <= max) return z.prettifyError(error);
  const more = error.issues.length - max;
  return `${z.prettifyError(new z.ZodError(error.issues.slice(0, max)))}\n… and ${more} more problem${more === 1 ? '' : 's'} of the same request`;
}
