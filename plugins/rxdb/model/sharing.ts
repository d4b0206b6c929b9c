/**
 * Who may see what, from this peer's copy of the playlists.
 *
 * A playlist's members are its owner and the peers it is shared with. This peer sends the
 * documents of playlist P to peer X only while X is a member of P (tracks follow their
 * playlist; a track of a playlist not known here is sent to nobody). Deleted playlists keep
 * their members, so their deletion still reaches them. A peer removed from P may still send P
 * to its members what it has (they hold it already, and a fresh replication must be able to
 * compare notes), but the store refuses its edits, so it has nothing new to send.
 */
import { getChangedDocumentsSince, type RxCollection } from 'rxdb';
import type { Subscription } from 'rxjs';
import { members, type PlaylistDoc } from './documents';
import { documentChanges } from '../storage/changes';

interface Membership {
  owner: string;
  members: ReadonlySet<string>;
  revoked: ReadonlySet<string>;
}

export type CollectionName = 'playlists' | 'tracks';

export class Sharing {
  readonly #playlists = new Map<string, Membership>();
  readonly #listeners = new Set<() => void>();
  #subscription: Subscription | undefined;

  constructor(readonly local: string) {}

  /** Load every playlist (deleted ones too) and follow changes. */
  async start(collection: RxCollection<PlaylistDoc>): Promise<void> {
    // Subscribe first so no change slips between the read and the subscription.
    this.#subscription = documentChanges(collection).subscribe((doc) => this.#set(doc));
    // Straight from storage: queries leave out deleted documents, and their members matter.
    const { documents } = await getChangedDocumentsSince(collection.storageInstance, Number.MAX_SAFE_INTEGER, undefined);
    for (const doc of documents as PlaylistDoc[]) if (!this.#playlists.has(doc.id)) this.#set(doc, false);
    this.#changed();
  }

  stop(): void {
    this.#subscription?.unsubscribe();
    this.#listeners.clear();
  }

  /** Called after any membership change (batched per change event). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  isMember(playlist: string, peer: string): boolean {
    return this.#playlists.get(playlist)?.members.has(peer) ?? false;
  }

  /** Playlists whose documents may go to `peer`: it is a member. */
  visibleTo(peer: string): Set<string> {
    const visible = new Set<string>();
    for (const [id, entry] of this.#playlists) if (entry.members.has(peer)) visible.add(id);
    return visible;
  }

  /** Playlists this peer and `peer` share: both are members. */
  sharedWith(peer: string): Set<string> {
    const shared = new Set<string>();
    for (const [id, entry] of this.#playlists) {
      if (entry.members.has(this.local) && entry.members.has(peer)) shared.add(id);
    }
    return shared;
  }

  /** Playlists `peer` was removed from, that this peer is still a member of. */
  revokedFrom(peer: string): string[] {
    return [...this.#playlists].filter(([, e]) => e.revoked.has(peer) && !e.members.has(peer) && e.members.has(this.local)).map(([id]) => id);
  }

  /** Every peer that shares at least one playlist with this one. */
  peers(): Set<string> {
    const peers = new Set<string>();
    for (const entry of this.#playlists.values()) {
      if (!entry.members.has(this.local)) continue;
      for (const peer of entry.members) if (peer !== this.local) peers.add(peer);
    }
    return peers;
  }

  /** May this document be sent to `peer`? */
  visible(peer: string, collection: CollectionName, doc: { id: string; playlist?: string }): boolean {
    return this.isMember(Sharing.playlistOf(collection, doc), peer);
  }

  /** The playlist a document belongs to. */
  static playlistOf(collection: CollectionName, doc: { id: string; playlist?: string }): string {
    return collection === 'playlists' ? doc.id : (doc.playlist ?? '');
  }

  #set(doc: PlaylistDoc, notify = true): void {
    const before = this.#playlists.get(doc.id);
    const next: Membership = { owner: doc.owner, members: new Set(members(doc)), revoked: new Set(doc.revoked) };
    this.#playlists.set(doc.id, next);
    if (notify && (!before || !sameSet(before.members, next.members) || !sameSet(before.revoked, next.revoked))) this.#changed();
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
