/**
 * The LMDB database the RxDB storage keeps its documents and index entries in: named `rxdb`, in
 * the plugin's LMDB file, beside the plugin's small records (lmdb-web-storage.ts).
 *
 * Documents are compressed (LZ4, by LMDB's binding) against a dictionary of what documents look
 * like: their field names and the shape of their ids, stamps and revisions, and a track as RxDB's
 * replication keeps it. A track's JSON then takes a third of its size on disk and in the pages
 * the process maps. Index entries (an id) stay below the threshold and are stored as they are.
 * A value written before compression was on reads as it was: a compressed value starts with a
 * byte (254 or 255) that no UTF-8 text holds.
 *
 * The dictionary is part of the file format: a value compressed with it reads back only with
 * it. Never edit it; a better one needs a database of another name and a move (a test pins it).
 */
import type { Database } from 'lmdb';
import type { LmdbWebStorage } from './lmdb-web-storage';

const PEER = 'n0xa70r5jnkp00frqy6kzbnwfc';
const STAMP = `0mxe30vgg.0000.${PEER}`;
const TRACK =
  `{"id":"01m99qt2j09zmcp6deeh","playlist":"01m99qt2hc9hkybgerd8","title":"","artist":"","durationMs":180000,` +
  `"uri":"spotify:track:","position":"a0","addedBy":"${PEER}","addedAt":1796697033280,"updatedAt":1796697033280,` +
  `"clock":{"title":"${STAMP}","artist":"${STAMP}","durationMs":"${STAMP}","uri":"${STAMP}","position":"${STAMP}"},"_deleted":false`;

/** What documents look like (see above). Pinned by a test: never edit. */
export const DOCUMENT_DICTIONARY = Buffer.from(
  `{"id":"01m99qt2j09zmcp6deeh|0","isCheckpoint":"0","itemId":"01m99qt2j09zmcp6deeh","docData":${TRACK}},"_attachments":{},` +
    `"_deleted":false,"_rev":"1-rx_storage_replication_3d4ebfa4efb16979e71936bc4b453714db10df83b1976a03c79b446f70d3b0fd",` +
    `"_meta":{"lwt":1796697033591.01}}` +
    `{"id":"01m99qt2hc9hkybgerd8","name":"","owner":"${PEER}","sharedWith":[],"revoked":[],"createdAt":1796697033260,` +
    `"clock":{"name":"${STAMP}","sharedWith":"${STAMP}","revoked":"${STAMP}"},` +
    `${TRACK},"_attachments":{},"_meta":{"lwt":1796697033280.01},"_rev":"1-qmaqlxfiuj"}`,
);

/** Values shorter than this (index entries: an id) are not compressed. */
const COMPRESS_FROM_BYTES = 64;

export function openDocumentsDB(store: LmdbWebStorage): Database<string, string> {
  return store.openDB('rxdb', { compression: { threshold: COMPRESS_FROM_BYTES, dictionary: DOCUMENT_DICTIONARY } });
}
