/**
 * Ids of new playlists and tracks, in the base32 of core's ids, that sort by creation (a ULID's
 * idea): 10 characters of milliseconds, then 10 of a counter that starts at a random value each
 * millisecond and counts up within it. The storage keeps each index as a sorted array, so a
 * random id spliced into the middle of every one (an add cost more as the playlist grew); a
 * sorted id lands at the end. Two peers adding at the same millisecond stay apart by the random
 * start (49 bits).
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const COUNTER_CHARS = 10;
const COUNTER_SPACE = 32 ** COUNTER_CHARS; // 2^50
const RANDOM_START = 2 ** 49; // the rest is room to count up

function encode(value: number, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[value % 32]! + out;
    value = Math.floor(value / 32);
  }
  return out;
}

function randomStart(): number {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return (high! % 2 ** 17) * 2 ** 32 + low!;
}

/** Makes ids that sort in the order they were made, also when the clock steps back. */
export function sortableIds(now: () => number = Date.now, start: () => number = randomStart): () => string {
  let lastMs = -1;
  let counter = 0;
  return () => {
    const ms = now();
    if (ms > lastMs) {
      lastMs = ms;
      counter = start() % RANDOM_START;
    } else if (++counter >= COUNTER_SPACE) {
      lastMs += 1;
      counter = start() % RANDOM_START;
    }
    return encode(lastMs, 10) + encode(counter, COUNTER_CHARS);
  };
}
