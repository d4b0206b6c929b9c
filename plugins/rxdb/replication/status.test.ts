/** The sync state shown for a playlist: both sides idle is not enough to say "in sync". */
import { expect, it } from 'vitest';
import { SyncStatus } from './status';

it('says syncing, with N of M, while the two sides hold different numbers of tracks, though both are idle', () => {
  const status = new SyncStatus();
  status.connected('bob', true);
  status.localBusy('bob', false);
  status.remoteBusy('bob', false);
  const entry = () => status.entries(['bob'], () => ['mix'])[0];
  // Counts not known yet: the busy flags decide.
  expect(entry()).toMatchObject({ state: 'in-sync' });
  expect(entry()).not.toHaveProperty('tracks');

  status.tracks('bob', 'remote', { mix: 2000 });
  status.tracks('bob', 'local', { mix: 1 });
  expect(entry()).toMatchObject({ state: 'syncing', tracks: 1, remoteTracks: 2000 });

  status.tracks('bob', 'local', { mix: 2000 });
  expect(entry()).toMatchObject({ state: 'in-sync', tracks: 2000, remoteTracks: 2000 });

  // What the peer held is forgotten with the connection: it says it again on the next one.
  status.connected('bob', false);
  expect(entry()).toMatchObject({ state: 'paused', tracks: 2000 });
  expect(entry()).not.toHaveProperty('remoteTracks');
});
