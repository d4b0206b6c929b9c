/**
 * Playlists this peer left and whose owner has not taken it off them yet.
 *
 * Only the owner writes a playlist's membership (`sharedWith`, `revoked`: whole lists, last
 * writer wins, so a second writer would undo the owner's concurrent changes). A member that
 * leaves therefore asks the owner, on the replication control channel (peer-link.ts, `leave`),
 * now or the next time the two are connected, and the owner unshares it with a write of its own.
 * Until the owner's write comes back, this peer no longer shows the playlist nor takes edits to
 * it. Kept in the database's key-value store, so a restart keeps asking.
 */
import { z } from 'zod';

const KEY = 'whatnext-left-playlists';
/** Bounds what a corrupt or hostile store entry makes us hold. */
const MAX_LEFT = 1024;
const Stored = z.record(z.string().max(64), z.string().max(64));

export class Leaving {
  /** Playlist id → its owner (who must be asked). */
  readonly #left = new Map<string, string>();

  constructor(private readonly store: Pick<Storage, 'getItem' | 'setItem'>) {
    const parsed = Stored.safeParse(JSON.parse(store.getItem(KEY) ?? '{}'));
    if (parsed.success) for (const [id, owner] of Object.entries(parsed.data).slice(0, MAX_LEFT)) this.#left.set(id, owner);
  }

  has(playlist: string): boolean {
    return this.#left.has(playlist);
  }

  add(playlist: string, owner: string): void {
    if (this.#left.size >= MAX_LEFT && !this.#left.has(playlist)) throw new Error(`already waiting to leave ${MAX_LEFT} playlists`);
    this.#left.set(playlist, owner);
    this.#save();
  }

  /** The owner took this peer off `playlist` (or it is gone): nothing more to ask. */
  done(playlist: string): void {
    if (this.#left.delete(playlist)) this.#save();
  }

  /** Playlists to ask `owner` to take this peer off. */
  askOf(owner: string): string[] {
    return [...this.#left].filter(([, o]) => o === owner).map(([id]) => id);
  }

  get playlists(): string[] {
    return [...this.#left.keys()];
  }

  #save(): void {
    this.store.setItem(KEY, JSON.stringify(Object.fromEntries(this.#left)));
  }
}
