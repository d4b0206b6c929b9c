/**
 * The collection as one replicateWebRTC pool sees it: the collection itself (its prototype)
 * with an `onClose` list of its own.
 *
 * RxDB 17.6's pool, and every replication state it starts, push `() => this.cancel()` onto
 * `collection.onClose` and never take it off again, so every pool ever started stays reachable
 * from the collection, with its connection handler, its replication states and their meta
 * storage instances (test/pool-view.test.ts shows RxDB still does this). Here those hooks land
 * in the view's list, which is dropped with the view; otherwise the replication only reads the
 * collection and calls its methods, which the view inherits. The collection holds one hook of
 * ours per running pool, which runs the view's list should the collection close first, and
 * `release` takes exactly that hook off again: it is ours, so it is found by identity.
 *
 * Taking RxDB's own hooks off after a pool stops would not be safe: they cannot be told apart,
 * a replication state adds its hook whenever the handshake decides this side is the fork, and
 * pools of other peers add theirs to the same collection meanwhile.
 */
import type { RxCollection } from 'rxdb';

export interface PoolView<T> {
  /** What to give replicateWebRTC as its collection. */
  readonly collection: RxCollection<T>;
  /** The pool was cancelled: the collection keeps nothing of it. */
  release(): void;
}

export function poolView<T>(collection: RxCollection<T>): PoolView<T> {
  // Writable and read at close time: a later RxDB may replace the list instead of pushing.
  const view: RxCollection<T> = Object.assign(Object.create(collection) as RxCollection<T>, { onClose: [] });
  const closeView = () => Promise.all(view.onClose.map((hook) => hook()));
  collection.onClose.push(closeView);
  return {
    collection: view,
    release() {
      const index = collection.onClose.indexOf(closeView);
      if (index >= 0) collection.onClose.splice(index, 1);
    },
  };
}
