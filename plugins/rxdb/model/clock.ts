/**
 * Stamps for field-level last-writer-wins. A stamp is `<ms>.<counter>.<peer>` with fixed-width
 * base-36 numbers, so comparing stamps as strings orders them by time, then counter, then peer.
 *
 * The clock is a hybrid logical clock: a new stamp is above every stamp this clock issued and
 * every stamp it is shown (the ones already on the document being edited), so an edit made
 * after seeing another edit always wins over it, whatever the two machines' clocks say.
 */
const MS_WIDTH = 9; // base 36: enough until the year 10,000 and beyond
const COUNTER_WIDTH = 4;

export interface StampParts {
  ms: number;
  counter: number;
  peer: string;
}

export function formatStamp({ ms, counter, peer }: StampParts): string {
  return `${ms.toString(36).padStart(MS_WIDTH, '0')}.${counter.toString(36).padStart(COUNTER_WIDTH, '0')}.${peer}`;
}

export function parseStamp(stamp: string): StampParts {
  const [ms = '0', counter = '0', peer = ''] = stamp.split('.');
  return { ms: parseInt(ms, 36) || 0, counter: parseInt(counter, 36) || 0, peer };
}

/** The time a stamp was issued (epoch ms). */
export function stampTime(stamp: string): number {
  return parseStamp(stamp).ms;
}

export class HybridClock {
  #ms = 0;
  #counter = 0;

  constructor(
    readonly peer: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A stamp greater than every stamp issued here and every stamp in `seen`. */
  next(seen: Iterable<string> = []): string {
    let ms = this.#ms;
    let counter = this.#counter;
    for (const stamp of seen) {
      const parts = parseStamp(stamp);
      if (parts.ms > ms || (parts.ms === ms && parts.counter > counter)) {
        ms = parts.ms;
        counter = parts.counter;
      }
    }
    const wall = this.now();
    if (wall > ms) {
      ms = wall;
      counter = 0;
    } else {
      counter += 1;
    }
    this.#ms = ms;
    this.#counter = counter;
    return formatStamp({ ms, counter, peer: this.peer });
  }
}
