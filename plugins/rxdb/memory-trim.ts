/**
 * Memory back to the system after a bulk of documents: an import, the sync of a large playlist.
 *
 * V8 keeps the heap such a bulk grew to until its next full collection, and a service that goes
 * quiet afterwards allocates too little to bring one about: it would sit on hundreds of
 * megabytes it no longer uses. So once at least `bulkDocuments` documents have been written,
 * sent or received and nothing more has come for `quietMs`, one full collection is asked for.
 * It runs only where the host exposes it: the service starts Node with `--expose-gc`.
 */
export interface MemoryTrimOptions {
  /** The full collection; undefined where the host does not expose one. */
  collect?: (() => void) | undefined;
  bulkDocuments?: number;
  quietMs?: number;
}

export class MemoryTrim {
  readonly #collect: (() => void) | undefined;
  readonly #bulk: number;
  readonly #quietMs: number;
  #documents = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Collections run so far (tests read it). */
  collections = 0;

  constructor(options: MemoryTrimOptions = {}) {
    this.#collect = 'collect' in options ? options.collect : twoFullCollections();
    this.#bulk = options.bulkDocuments ?? 2000;
    this.#quietMs = options.quietMs ?? 1000;
  }

  /** `count` documents were written, sent or received. */
  note(count: number): void {
    if (!this.#collect || count <= 0) return;
    this.#documents += count;
    if (this.#documents < this.#bulk) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#run(), this.#quietMs);
    this.#timer.unref?.();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #run(): void {
    this.#timer = undefined;
    this.#documents = 0;
    this.collections++;
    this.#collect!();
  }
}

/** Two full collections: V8 moves objects off sparse pages in each, and frees what the second
 * empties; one leaves much of a bulk's heap in half-empty pages. */
function twoFullCollections(): (() => void) | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  return (
    gc &&
    (() => {
      gc();
      gc();
    })
  );
}
