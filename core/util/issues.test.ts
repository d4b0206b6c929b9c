import { expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_ISSUES_SHOWN, describeIssues } from './issues';

it('names the first problems and counts the rest', () => {
  const tracks = z.array(z.object({ title: z.string() }).strict());
  const many = tracks.safeParse(Array.from({ length: 10_000 }, () => ({ title: 'x', album: 'y' })));
  const text = describeIssues(many.error!);
  expect(text).toContain('Unrecognized key: "album"');
  expect(text.match(/Unrecognized key/g)).toHaveLength(MAX_ISSUES_SHOWN);
  expect(text).toContain(`… and ${10_000 - MAX_ISSUES_SHOWN} more problems of the same request`);
  expect(text.length).toBeLessThan(1000);
  const one = tracks.safeParse([{ title: 1 }]);
  expect(describeIssues(one.error!)).toBe(z.prettifyError(one.error!));
});
