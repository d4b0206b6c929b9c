/** Which rows of a list of `count` rows of one height are in (or near) view when scrolled to
 * `scrollTop` in a `viewport` that high: `first` to `last` (exclusive), with `before` and `after`
 * rows left out, which spacers stand in for so the scroll height stays that of the whole list. */
export interface VisibleRange {
  first: number;
  last: number;
  before: number;
  after: number;
}

/** Rows rendered beyond each edge, so a fast scroll shows rows, not blank space. */
export const OVERSCAN_ROWS = 12;

export function visibleRange(options: { count: number; scrollTop: number; viewport: number; rowHeight: number; overscan?: number }): VisibleRange {
  const { count, rowHeight } = options;
  const overscan = options.overscan ?? OVERSCAN_ROWS;
  const height = Math.max(1, rowHeight);
  const top = Math.max(0, options.scrollTop);
  const first = Math.min(count, Math.max(0, Math.floor(top / height) - overscan));
  const last = Math.min(count, Math.ceil((top + Math.max(0, options.viewport)) / height) + overscan);
  return { first, last: Math.max(first, last), before: first, after: count - Math.max(first, last) };
}
