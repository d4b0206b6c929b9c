/**
 * Replication for every connection: one PeerLink per remote peer, fed by the host's
 * connectionOpened / connectionClosed hooks, and the epoch bookkeeping of epochs.ts run on
 * every membership change.
 */
import type { ConnectionRecord } from '@whatnext/core';
import type { SyncEntry } from './status';
import { PeerLink, type LinkServices } from './peer-link';

export class Replicator {
  readonly #links = new Map<string, PeerLink>();
  #stopSharing: (() => void) | undefined;

  constructor(private readonly services: LinkServices) {}

  start(): void {
    this.#stopSharing = this.services.sharing.onChange(() => this.#sharingChanged());
    this.#sharingChanged();
  }

  opened(record: ConnectionRecord): void {
    const peer = record.remote.id;
    // Bring the epoch up to date before the link says hello with it.
    this.services.epochs.reconcile(peer, this.services.sharing.visibleTo(peer));
    let link = this.#links.get(peer);
    if (!link) this.#links.set(peer, (link = new PeerLink(peer, this.services)));
    link.add(record.connection);
  }

  closed(record: ConnectionRecord): void {
    this.#links.get(record.remote.id)?.remove(record.connection);
  }

  status(): SyncEntry[] {
    const { sharing, status } = this.services;
    // Every peer that shares a playlist with this one, linked or not.
    return status.entries(sharing.peers(), (peer) => sharing.sharedWith(peer));
  }

  /** Tracks changed here (added, edited, removed, or arrived from a peer). */
  tracksChanged(): void {
    for (const link of this.#links.values()) link.tracksChanged();
  }

  /** This peer left a playlist of `owner`'s: ask it now if connected (else on the next connection). */
  left(owner: string): void {
    this.#links.get(owner)?.askToLeave();
  }

  link(peer: string): PeerLink | undefined {
    return this.#links.get(peer);
  }

  async stop(): Promise<void> {
    this.#stopSharing?.();
    await Promise.all([...this.#links.values()].map((link) => link.close()));
    this.#links.clear();
  }

  #sharingChanged(): void {
    const { sharing, epochs } = this.services;
    for (const peer of new Set([...sharing.peers(), ...this.#links.keys()])) {
      const raised = epochs.reconcile(peer, sharing.visibleTo(peer));
      const link = this.#links.get(peer);
      link?.sharingChanged(raised);
      // A playlist newly shared has tracks to count (none yet, perhaps).
      link?.tracksChanged();
    }
  }
}
