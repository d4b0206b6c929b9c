/**
 * Finds `whtnxt:` links in a command line: the cold-start `process.argv`, or the argv a second
 * instance hands over. Chromium adds its own switches (`--allow-file-access-from-files`,
 * `--original-process-start-time=...`) and may reorder arguments, so position means nothing:
 * every argument that starts with an accepted scheme is a link, everything else is ignored.
 * Main does not judge the links: the service validates them and reports a rejection itself.
 */
import { LINK_MAX_LENGTH } from '../../core/link';

/** The largest link `links.open` accepts; anything longer is not worth a round trip. */
export const FORWARDED_LINK_MAX_LENGTH = LINK_MAX_LENGTH * 4;
/** One command line can carry a few links (a file manager opening several); not hundreds. */
export const MAX_LINKS_PER_ARGV = 8;

export function isLinkOf(candidate: unknown, schemes: readonly string[]): candidate is string {
  if (typeof candidate !== 'string' || candidate.length > FORWARDED_LINK_MAX_LENGTH) return false;
  const colon = candidate.indexOf(':');
  return colon > 0 && schemes.some((scheme) => scheme.toLowerCase() === candidate.slice(0, colon).toLowerCase());
}

/** Links in `argv`, in order, without duplicates. `argv[0]` (the executable) is never one. */
export function extractLinks(argv: readonly unknown[], schemes: readonly string[]): string[] {
  const links: string[] = [];
  for (const arg of argv.slice(1)) {
    if (!isLinkOf(arg, schemes) || links.includes(arg)) continue;
    links.push(arg);
    if (links.length === MAX_LINKS_PER_ARGV) break;
  }
  return links;
}
