/**
 * Per remote peer: the replication epoch, and the playlists whose documents this peer left out
 * of what it sent that peer.
 *
 * While this peer does not share playlist P with X, it leaves P's documents out of what it
 * sends X, and X's checkpoint moves past them. Should P become shared with X later (a share, a
 * re-share, a membership learnt late), those documents would never be sent. So each exclusion
 * is recorded, and when an excluded playlist becomes shared the epoch goes up. The epoch names
 * the replication (RxDB's topic): a new epoch starts from no checkpoint and re-sends everything
 * now shared. Both peers use the larger of their two epochs (exchanged on connect) and epochs
 * only grow, so a replication never resumes from a checkpoint that skipped something it must
 * send. A share that excluded nothing before (the usual case: a playlist the peer never saw)
 * keeps the epoch and its checkpoints.
 */
const PREFIX = 'whatnext-sync-';

interface EpochRecord {
  epoch: number;
  excluded: string[];
}

export class Epochs {
  readonly #records = new Map<string, { epoch: number; excluded: Set<string> }>();

  constructor(private readonly store: Pick<Storage, 'getItem' | 'setItem'>) {}

  epoch(peer: string): number {
    return this.#get(peer).epoch;
  }

  /** This peer left a document of `playlist` out of what it sent `peer`. */
  excluded(peer: string, playlist: string): void {
    const record = this.#get(peer);
    if (record.excluded.has(playlist)) return;
    record.excluded.add(playlist);
    this.#save(peer);
  }

  /** `shared` is what this peer now shares with `peer`: raise the epoch if any of it was
   * excluded before. */
  reconcile(peer: string, shared: ReadonlySet<string>): boolean {
    const record = this.#get(peer);
    const resent = [...shared].filter((playlist) => record.excluded.has(playlist));
    if (resent.length === 0) return false;
    record.epoch += 1;
    for (const playlist of resent) record.excluded.delete(playlist);
    this.#save(peer);
    return true;
  }

  /** Adopt the remote's epoch when it is larger. Returns the epoch in force. */
  adopt(peer: string, remoteEpoch: number): number {
    const record = this.#get(peer);
    if (remoteEpoch > record.epoch) {
      record.epoch = remoteEpoch;
      this.#save(peer);
    }
    return record.epoch;
  }

  #get(peer: string): { epoch: number; excluded: Set<string> } {
    let record = this.#records.get(peer);
    if (!record) {
      const text = this.store.getItem(PREFIX + peer);
      const stored = text ? (JSON.parse(text) as Partial<EpochRecord>) : {};
      record = { epoch: Number(stored.epoch) || 0, excluded: new Set(Array.isArray(stored.excluded) ? stored.excluded : []) };
      this.#records.set(peer, record);
    }
    return record;
  }

  #save(peer: string): void {
    const record = this.#get(peer);
    this.store.setItem(PREFIX + peer, JSON.stringify({ epoch: record.epoch, excluded: [...record.excluded].sort() } satisfies EpochRecord));
  }
}
