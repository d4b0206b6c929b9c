/**
 * Replication progress per remote peer and playlist, for a UI: a state and counts of the
 * documents sent and received (each document on the wire, so a resync counts again).
 *
 *   paused   no open connection to the peer
 *   error    the last replication attempt failed (RxDB retries on its own)
 *   syncing  either side is still catching up, or a change is on its way
 *   in-sync  both sides idle with nothing pending
 *
 * Only the side that runs RxDB's fork replication knows when it is caught up, so each side
 * tells the other whether it is busy (a `busy` control message) and both show the same state.
 * Each side also tells the other how many tracks it holds of each playlist they share (a
 * `counts` message): a playlist is not "in sync" while the two counts differ, and the UI shows
 * how many of the remote's have arrived.
 */
import type { SyncEntry } from '../protocol';

export type { SyncEntry };
export type SyncState = SyncEntry['state'];

interface PeerStatus {
  connected: boolean;
  localBusy: boolean;
  remoteBusy: boolean;
  error: string | undefined;
  counts: Map<string, { sent: number; received: number }>;
  /** Tracks per playlist: here (as last sent to the peer) and at the peer (as it last said). */
  tracks: { local: Map<string, number>; remote: Map<string, number> };
}

export class SyncStatus {
  readonly #peers = new Map<string, PeerStatus>();
  readonly #listeners = new Set<() => void>();
  readonly #documentListeners = new Set<(documents: number) => void>();

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  /** Told how many documents each transfer counted, either way. */
  onDocuments(listener: (documents: number) => void): () => void {
    this.#documentListeners.add(listener);
    return () => this.#documentListeners.delete(listener);
  }

  connected(peer: string, connected: boolean): void {
    const status = this.#peer(peer);
    status.connected = connected;
    // Until both sides report, assume there is catching up to do.
    status.localBusy = connected;
    status.remoteBusy = connected;
    // What the peer held is said again on the next connection.
    status.tracks.remote.clear();
    this.#changed();
  }

  /** How many tracks of each shared playlist `side` holds, as told (remote) or sent (local). */
  tracks(peer: string, side: 'local' | 'remote', counts: Record<string, number>): void {
    const held = this.#peer(peer).tracks[side];
    held.clear();
    for (const [playlist, count] of Object.entries(counts)) held.set(playlist, count);
    this.#changed();
  }

  localBusy(peer: string, busy: boolean): void {
    const status = this.#peer(peer);
    if (status.localBusy === busy) return;
    status.localBusy = busy;
    if (!busy) status.error = undefined;
    this.#changed();
  }

  remoteBusy(peer: string, busy: boolean): void {
    const status = this.#peer(peer);
    if (status.remoteBusy === busy) return;
    status.remoteBusy = busy;
    this.#changed();
  }

  error(peer: string, message: string): void {
    this.#peer(peer).error = message;
    this.#changed();
  }

  count(peer: string, direction: 'sent' | 'received', playlist: string, documents: number): void {
    const counts = this.#peer(peer).counts;
    const entry = counts.get(playlist) ?? { sent: 0, received: 0 };
    entry[direction] += documents;
    counts.set(playlist, entry);
    for (const listener of this.#documentListeners) listener(documents);
    this.#changed();
  }

  state(peer: string): SyncState {
    const status = this.#peers.get(peer);
    if (!status?.connected) return 'paused';
    if (status.error) return 'error';
    return status.localBusy || status.remoteBusy ? 'syncing' : 'in-sync';
  }

  /** One entry per (peer, playlist) shared with that peer. */
  entries(peers: Iterable<string>, sharedWith: (peer: string) => Iterable<string>): SyncEntry[] {
    const entries: SyncEntry[] = [];
    for (const peer of peers) {
      const status = this.#peers.get(peer);
      const state = this.state(peer);
      for (const playlist of sharedWith(peer)) {
        const counts = status?.counts.get(playlist);
        const tracks = status?.tracks.local.get(playlist);
        const remoteTracks = status?.tracks.remote.get(playlist);
        const apart = tracks !== undefined && remoteTracks !== undefined && tracks !== remoteTracks;
        entries.push({
          peerId: peer,
          playlistId: playlist,
          state: state === 'in-sync' && apart ? 'syncing' : state,
          sent: counts?.sent ?? 0,
          received: counts?.received ?? 0,
          ...(tracks !== undefined ? { tracks } : {}),
          ...(remoteTracks !== undefined ? { remoteTracks } : {}),
          ...(state === 'error' && status?.error ? { error: status.error } : {}),
        });
      }
    }
    return entries;
  }

  #peer(peer: string): PeerStatus {
    let status = this.#peers.get(peer);
    if (!status) {
      status = { connected: false, localBusy: false, remoteBusy: false, error: undefined, counts: new Map(), tracks: { local: new Map(), remote: new Map() } };
      this.#peers.set(peer, status);
    }
    return status;
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
