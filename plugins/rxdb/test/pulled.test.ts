/** A pulled version of a document the remote may not see can only bring what is newer. */
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDatabase } from '../storage/database';
import type { PlaylistDoc } from '../model/documents';
import { keepNewerThanOurs } from '../replication/pulled';
import { tempDir } from '../../../host/service/testing/temp-dirs';

const opened: OpenedDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

const ALICE = 'aaaaaaaaaaaaaaaaaaaaaaaaaa';
const BOB = 'bbbbbbbbbbbbbbbbbbbbbbbbbb';
const stamp = (n: number) => `0000000${n}.0000.${ALICE}`;

/** Alice's playlist as Bob last had it (shared with him), and as Alice has it after unsharing. */
const shared: PlaylistDoc = {
  id: 'p1',
  name: 'Mix',
  owner: ALICE,
  sharedWith: [BOB],
  revoked: [],
  createdAt: 1,
  updatedAt: 1,
  clock: { name: stamp(1), sharedWith: stamp(1), revoked: stamp(1) },
};
const unshared: PlaylistDoc = { ...shared, sharedWith: [], revoked: [BOB], updatedAt: 2, clock: { ...shared.clock, sharedWith: stamp(2), revoked: stamp(2) } };

async function alicesPlaylists() {
  const db = await openDatabase(tempDir('whatnext-rxdb-pulled-'), `pulled${opened.length}${Date.now()}`);
  opened.push(db);
  await db.db.playlists.insert(unshared);
  return db.db.playlists;
}

describe('a pulled version of a document the remote may not see', () => {
  it("cannot take back a newer local edit (the removed peer's older copy, served again)", async () => {
    const playlists = await alicesPlaylists();
    const take = keepNewerThanOurs<PlaylistDoc>(playlists, () => false);
    const kept = await take({ ...shared, _deleted: false } as PlaylistDoc);
    expect(kept).toMatchObject({ sharedWith: [], revoked: [BOB], clock: unshared.clock });
  });

  it('still brings what is newer, field by field', async () => {
    const playlists = await alicesPlaylists();
    const take = keepNewerThanOurs<PlaylistDoc>(playlists, () => false);
    const renamed = { ...shared, name: 'Mix, renamed', updatedAt: 3, clock: { ...shared.clock, name: stamp(3) }, _deleted: false } as PlaylistDoc;
    expect(await take(renamed)).toMatchObject({ name: 'Mix, renamed', sharedWith: [], revoked: [BOB], updatedAt: 3 });
  });

  it('leaves documents the remote may see, and ones unknown here, as they came', async () => {
    const playlists = await alicesPlaylists();
    const seen = keepNewerThanOurs<PlaylistDoc>(playlists, () => true);
    expect(await seen({ ...shared })).toEqual(shared);
    const unseen = keepNewerThanOurs<PlaylistDoc>(playlists, () => false);
    const other = { ...shared, id: 'p2' };
    expect(await unseen(other)).toEqual(other);
  });
});
