/**
 * Every document a collection writes, as it is written, straight from its change bulks.
 *
 * RxDB 17.6's `collection.$` maps each bulk to change events through a module-level Map that
 * keeps every bulk it ever mapped (EVENT_BULK_CACHE in rx-change-event.js, never cleared), so
 * each write subscribed to through `$` stays in memory for good (test/changes.test.ts shows
 * RxDB still does this). The bulks carry the same documents.
 */
import type { RxCollection } from 'rxdb';
import { mergeMap, type Observable } from 'rxjs';

export function documentChanges<T>(collection: RxCollection<T>): Observable<T> {
  return collection.eventBulks$.pipe(mergeMap((bulk) => bulk.events.map((event) => event.documentData as T)));
}
