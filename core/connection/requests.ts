/**
 * Requests this side sent and is waiting on: ids, timeouts, settling. Ids are u32, unique among
 * pending requests of one connection, never 0 (0 marks plain data on the wire).
 */
import { RemoteRequestError, RequestTimeoutError } from './errors';
import type { RequestOutcome } from './channels';
import type { Message } from './types';

/** setTimeout treats delays above 2^31-1 ms as 1 ms: clamp instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Pending {
  channel: string;
  resolve(value: Message): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private lastId = 0;

  /** Register a request. A non-finite timeout means no timeout. */
  create(channel: string, timeoutMs: number): { id: number; response: Promise<Message> } {
    const id = this.nextId();
    const response = new Promise<Message>((resolve, reject) => {
      const entry: Pending = { channel, resolve, reject, timer: undefined };
      if (Number.isFinite(timeoutMs)) {
        entry.timer = setTimeout(
          () => {
            this.pending.delete(id);
            reject(new RequestTimeoutError(channel, timeoutMs));
          },
          Math.min(Math.max(timeoutMs, 0), MAX_TIMER_MS),
        );
      }
      this.pending.set(id, entry);
    });
    return { id, response };
  }

  /** Settle a request from the remote's answer. Answers to unknown ids (timed out here, or
   * invented by the remote) and from the wrong channel are ignored. */
  settle(id: number, channel: string, outcome: RequestOutcome): void {
    const entry = this.pending.get(id);
    if (!entry || entry.channel !== channel) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (outcome.ok) entry.resolve(outcome.value);
    else entry.reject(new RemoteRequestError(outcome.message));
  }

  rejectAll(error: Error): void {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.pending.clear();
  }

  private nextId(): number {
    do {
      this.lastId = this.lastId >= 0xffffffff ? 1 : this.lastId + 1;
    } while (this.pending.has(this.lastId));
    return this.lastId;
  }
}
