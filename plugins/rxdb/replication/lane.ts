/**
 * One collection's replication traffic with one remote peer, on a channel of its own.
 *
 * The lane outlives the RxDB pools that use it: when a pool restarts (new epoch, new
 * connection), messages arriving in between are held and handed to the next pool, since core
 * drops messages for a channel nobody listens to any more. A request the old pool had not
 * answered is handed to the next one too: RxDB's fork waits for every answer (20 s by default)
 * and gives up on a peer whose token request goes unanswered. Serving a request twice is
 * harmless (reads, and writes that the second time come back as already-resolved conflicts);
 * the remote keeps the first answer. Requests are answered on the connection they came in on;
 * everything else goes on the link's newest connection.
 */
import { z } from 'zod';
import type { Connection, Json, Message } from '@whatnext/core';
import { Sharing, type CollectionName } from '../model/sharing';
import { isRequest, type ChannelConnectionHandler, type RxdbWireMessage } from './channel-handler';
import type { SyncStatus } from './status';

/** Messages held while no pool is attached; beyond this the remote's requests time out and
 * RxDB retries them. */
const MAX_HELD = 10_000;
/** Requests of ours kept for sending again. RxDB has a few in flight per pool; the ones it gave
 * up on (timed out) are never answered, and only the newest are worth sending again. */
const MAX_AWAITING = 100;

const WireMessage = z.union([
  z.object({ id: z.string().max(200), method: z.enum(['token', 'masterChangesSince', 'masterWrite']), params: z.array(z.unknown()) }),
  z.object({ id: z.string().max(200), result: z.unknown(), error: z.unknown().optional() }),
]);

export interface LaneLink {
  readonly remote: string;
  /** The connection new traffic goes on, if any is open. */
  primary(): Connection | undefined;
  log(message: string): void;
}

export class Lane {
  #handler: ChannelConnectionHandler | undefined;
  #held: RxdbWireMessage[] = [];
  readonly #origin = new Map<string, Connection>();
  /** Requests from the remote not answered yet, in arrival order. */
  readonly #unanswered = new Map<string, RxdbWireMessage>();
  /** The connections anything went out on since the pool attached (or since `resend`). */
  readonly #carriers = new Set<Connection>();
  /** Requests of the attached pool not answered yet, in the order sent. */
  readonly #awaiting = new Map<string, RxdbWireMessage>();

  constructor(
    readonly collection: CollectionName,
    readonly channel: string,
    private readonly link: LaneLink,
    private readonly status: SyncStatus,
  ) {}

  receive(raw: Message, from: Connection): void {
    const parsed = WireMessage.safeParse(raw);
    if (!parsed.success) return this.link.log(`ignored a malformed ${this.collection} replication message from ${this.link.remote}`);
    const message = parsed.data as RxdbWireMessage;
    this.#count('received', message);
    if (isRequest(message)) {
      this.#origin.set(message.id, from);
      this.#unanswered.set(message.id, message);
    } else {
      this.#awaiting.delete(message.id);
    }
    if (this.#handler) return this.#handler.deliver(message);
    if (this.#held.length >= MAX_HELD) this.#held.shift();
    this.#held.push(message);
  }

  attach(handler: ChannelConnectionHandler): void {
    this.#handler = handler;
    this.#carriers.clear();
    this.#awaiting.clear();
    const held = this.#held;
    this.#held = [];
    for (const message of held) handler.deliver(message);
  }

  detach(): void {
    this.#handler = undefined;
    this.#awaiting.clear();
    const requests = [...this.#unanswered.values()];
    this.#held = [...requests, ...this.#held.filter((message) => !isRequest(message))];
  }

  /** Whether anything went out on `connection` since the pool attached: if so, losing it may
   * have lost a request or a change of the pool's. */
  carried(connection: Connection): boolean {
    return this.#carriers.has(connection);
  }

  /** A newer connection took over from one that may have died unnoticed: the attached pool's
   * requests still unanswered go again on it, so the pool goes on without waiting for their
   * timeout. Serving a request twice is harmless (see above); RxDB takes the first answer. */
  async resend(): Promise<void> {
    this.#carriers.clear();
    await Promise.all([...this.#awaiting.values()].map((message) => this.#send(message)));
  }

  /** The link has no connection left: nothing held is worth keeping. */
  reset(): void {
    this.#handler = undefined;
    this.#held = [];
    this.#origin.clear();
    this.#unanswered.clear();
    this.#carriers.clear();
    this.#awaiting.clear();
  }

  async transmit(message: RxdbWireMessage): Promise<void> {
    if (isRequest(message)) {
      this.#awaiting.set(message.id, message);
      if (this.#awaiting.size > MAX_AWAITING) this.#awaiting.delete(this.#awaiting.keys().next().value!);
      return this.#send(message);
    }
    const origin = this.#origin.get(message.id);
    this.#origin.delete(message.id);
    if (!this.#unanswered.delete(message.id) && origin === undefined && message.id !== 'masterChangeStream$') return; // answered already
    await this.#send(message, origin);
  }

  async #send(message: RxdbWireMessage, origin?: Connection): Promise<void> {
    const connection = origin?.state === 'open' ? origin : this.link.primary();
    if (!connection) throw new Error(`no open connection to ${this.link.remote}`);
    this.#count('sent', message);
    this.#carriers.add(connection);
    await connection.channel(this.channel).send(message as unknown as Json);
  }

  #count(direction: 'sent' | 'received', message: RxdbWireMessage): void {
    const documents = documentsIn(message);
    if (documents.length === 0) return;
    const perPlaylist = new Map<string, number>();
    for (const doc of documents) {
      const playlist = Sharing.playlistOf(this.collection, doc);
      perPlaylist.set(playlist, (perPlaylist.get(playlist) ?? 0) + 1);
    }
    for (const [playlist, count] of perPlaylist) this.status.count(this.link.remote, direction, playlist, count);
  }
}

/** The documents a replication message carries: pulled (changes-since answers and the change
 * stream) or pushed (masterWrite rows). */
function documentsIn(message: RxdbWireMessage): { id: string; playlist?: string }[] {
  if (isRequest(message)) {
    if (message.method !== 'masterWrite') return [];
    const rows = message.params[0];
    return Array.isArray(rows) ? rows.map((row) => (row as { newDocumentState: { id: string } }).newDocumentState).filter(Boolean) : [];
  }
  const result = message.result as { documents?: unknown } | null | undefined;
  return result && Array.isArray(result.documents) ? (result.documents as { id: string }[]) : [];
}
