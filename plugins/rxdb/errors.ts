/** The rxdb plugin's error codes (core's are in core/error-codes.ts). */
import { defineErrorCodes } from '@whatnext/core';

export const RXDB_ERROR_CODES = defineErrorCodes({
  playlists_unavailable: 'The playlist database is still opening.',
  unknown_playlist: 'No playlist of that id, or not one this peer is a member of.',
  unknown_track: 'No track of that id in a playlist this peer is a member of.',
  deleted: 'The playlist was deleted.',
  not_owner: 'Only the playlist owner may do that.',
  owner_cannot_leave: 'The owner of a playlist cannot leave it (delete it, or stop sharing it).',
  not_one_playlist: 'Tracks changed together must all be of one playlist.',
  invalid_peer: 'That is not a peer this can be shared with (yourself, say).',
  write_failed: 'The database refused the write.',
  bad_import: 'An import held a line that could not be read as a track (the message names the line); nothing was added.',
});
