/**
 * Holds incoming links until the service can take them, then hands them over one at a time, in
 * arrival order. A link the service could not receive (it died mid-request) stays at the head
 * and goes out once the service is back. Bounded: when full, the oldest link is dropped, since
 * the one the user just clicked is the one they expect to see.
 */

/** `delivered`: the service answered (accepted the link, or rejected it and said why).
 * `unavailable`: it never got the link; try again when the service is back. */
export type LinkDelivery = 'delivered' | 'unavailable';
export type LinkSink = (link: string) => Promise<LinkDelivery>;

export interface LinkQueueOptions {
  capacity?: number;
  onDrop?: (link: string) => void;
}

export const DEFAULT_LINK_QUEUE_CAPACITY = 16;

export class LinkQueue {
  #pending: string[] = [];
  #sink: LinkSink | undefined;
  #flushing: Promise<void> | undefined;
  readonly #capacity: number;
  readonly #onDrop: (link: string) => void;

  constructor(options: LinkQueueOptions = {}) {
    this.#capacity = Math.max(1, options.capacity ?? DEFAULT_LINK_QUEUE_CAPACITY);
    this.#onDrop = options.onDrop ?? (() => {});
  }

  get size(): number {
    return this.#pending.length;
  }

  push(link: string): void {
    if (this.#pending.length >= this.#capacity) this.#onDrop(this.#pending.shift()!);
    this.#pending.push(link);
    this.#kick();
  }

  /** The service is ready: deliver what waits, and anything that arrives from now on. */
  open(sink: LinkSink): void {
    this.#sink = sink;
    this.#kick();
  }

  /** The service went away: hold links until `open` is called again. */
  pause(): void {
    this.#sink = undefined;
  }

  /** Resolves when nothing is being delivered (tests and shutdown use it). */
  async idle(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  #kick(): void {
    this.#flushing ??= this.#flush().finally(() => {
      this.#flushing = undefined;
      // A link may have arrived (or the sink changed) after the loop's last check.
      if (this.#sink && this.#pending.length > 0) this.#kick();
    });
  }

  async #flush(): Promise<void> {
    while (this.#sink && this.#pending.length > 0) {
      const sink = this.#sink;
      const link = this.#pending[0]!;
      let outcome: LinkDelivery;
      try {
        outcome = await sink(link);
      } catch {
        outcome = 'unavailable';
      }
      if (outcome === 'unavailable') {
        if (this.#sink === sink) this.#sink = undefined; // wait for the next open()
        return;
      }
      // Dropping for capacity may have shifted the array while we awaited.
      if (this.#pending[0] === link) this.#pending.shift();
    }
  }
}
