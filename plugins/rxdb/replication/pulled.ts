/**
 * What a pool takes from the remote, for documents the remote may not see.
 *
 * The push modifier leaves such documents out of what this peer sends, and RxDB then records
 * them as pushed anyway (so it does not retry them). Its record of the remote's copy is then
 * wrong: it holds our version while the remote still has an older one. When that older copy
 * comes back down (the remote edits it, or serves it again), RxDB takes it for the remote's
 * newer state and writes it over ours, so a newer local edit is lost. That was seen right
 * after an unshare: the owner's storage went back to the version still listing the removed peer.
 *
 * So a pulled version of such a document is merged with ours first by the collection's own
 * conflict handler (field by field, by their stamps), and can only bring what is newer. Documents the
 * remote may see are pushed for real and go through RxDB's own conflict handling unchanged.
 */
import { writeDocToDocState, type RxCollection } from 'rxdb';

export function keepNewerThanOurs<T extends { id: string }>(collection: RxCollection<any>, remoteMaySee: (doc: T) => boolean): (doc: T) => Promise<T> {
  return async (pulled) => {
    if (remoteMaySee(pulled)) return pulled;
    const [ours] = await collection.storageInstance.findDocumentsById([pulled.id], true);
    if (!ours) return pulled;
    const merged = await collection.conflictHandler.resolve(
      { realMasterState: writeDocToDocState(ours, false, false), newDocumentState: pulled as never },
      'pull',
    );
    return merged as T;
  };
}
