/**
 * The playlist methods and events the rxdb plugin adds to the service protocol. Schemas only (zod
 * and core's protocol helpers, nothing of Node): the renderer imports this module too.
 */
import { z } from 'zod';
import { PeerId, Empty, def, defineProtocol, type Merged, type CoreProtocol } from '@whatnext/core';
import { POSITION_MAX } from './model/documents';

/** Playlist and track ids: random base-32 (see core/util/ids). */
export const DocId = z.string().regex(/^[0-9a-z]{1,32}$/, 'an id is 1 to 32 lowercase letters or digits');
const Name = z.string().trim().min(1, 'a playlist name cannot be empty').max(200);
const Text = z.string().trim().min(1).max(500);
/** Where to play the track from: a URL, a file path, a service URI. */
const Uri = z.string().trim().min(1).max(2048);

/** Who wrote a field's current value, and when (epoch ms): read off the field's stamp, so it is
 * the edit's own author and time wherever and whenever the change arrives. */
export const FieldEdit = z.object({ by: PeerId, at: z.number() });
export type FieldEdit = z.infer<typeof FieldEdit>;
/** The last edit of each field a person can change, by field name. */
const Edits = z.record(z.string(), FieldEdit);

export const Playlist = z.object({
  id: DocId,
  name: z.string(),
  owner: PeerId,
  sharedWith: z.array(PeerId),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** `name` and `sharedWith`: who set them last, and when. */
  edits: Edits,
  /** Set in change events when the playlist was deleted. */
  deleted: z.boolean().optional(),
});
export type Playlist = z.infer<typeof Playlist>;

export const Track = z.object({
  id: DocId,
  playlistId: DocId,
  title: z.string(),
  artist: z.string(),
  durationMs: z.number().int().nonnegative(),
  uri: z.string().optional(),
  /** Fractional index key: tracks sort by (position, id). */
  position: z.string(),
  addedBy: PeerId,
  addedAt: z.number(),
  updatedAt: z.number(),
  /** `title`, `artist`, `durationMs`, `uri`, `position`: who set them last, and when. */
  edits: Edits,
  /** Set in change events when the track was removed. */
  removed: z.boolean().optional(),
});
export type Track = z.infer<typeof Track>;

export const NewTrack = z
  .object({
    title: Text,
    artist: Text,
    durationMs: z.number().int().nonnegative().max(1e10),
    uri: Uri.optional(),
  })
  .strict();
export type NewTrack = z.infer<typeof NewTrack>;

export const SyncEntry = z.object({
  peerId: PeerId,
  playlistId: DocId,
  state: z.enum(['syncing', 'in-sync', 'paused', 'error']),
  /** Documents sent to and received from that peer for that playlist (each transfer counts). */
  sent: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  /** The playlist's tracks here, and at that peer as it last said: "N of M" while they differ. */
  tracks: z.number().int().nonnegative().optional(),
  remoteTracks: z.number().int().nonnegative().optional(),
  error: z.string().optional(),
});
export type SyncEntry = z.infer<typeof SyncEntry>;

/** How an import's text is read (plugins/rxdb/import/track-list.ts): left out, it is detected. */
export const ImportFormat = z.enum(['lines', 'm3u', 'csv']);
export type ImportFormat = z.infer<typeof ImportFormat>;
/** The longest text an import takes (100,000 tracks of a typical line fit). */
const MAX_IMPORT_CHARS = 8 * 1024 * 1024;

const PlaylistRef = z.object({ playlistId: DocId }).strict();
const Count = z.number().int().nonnegative();
/** Most tracks one `playlists.get` page carries (well inside the browser shell's message limit). */
export const MAX_PAGE = 5000;
/** Where a page of tracks starts: after the track with this position and id. */
export const TrackCursor = z.object({ position: z.string().max(POSITION_MAX), id: DocId }).strict();
export type TrackCursor = z.infer<typeof TrackCursor>;
export const PlaylistSummary = z.object({ tracks: Count, durationMs: Count });
export type PlaylistSummary = z.infer<typeof PlaylistSummary>;
const Index = z.number().int().nonnegative();
/** As many as a playlist may hold (select all of a 100,000-track playlist). */
const TrackIds = z
  .array(DocId)
  .min(1)
  .max(100_000)
  .refine((ids) => new Set(ids).size === ids.length, 'a track is named twice');

export const playlistsProtocol = defineProtocol({
  methods: {
    /** Playlists this peer is a member of (owner or shared with). */
    'playlists.list': def(Empty, z.array(Playlist)),
    /** A playlist and its tracks in order: all of them, or a page of at most `limit` after the
     * track `after` (a cursor by position, so tracks added or removed meanwhile shift nothing);
     * `total` is how many the playlist holds. */
    'playlists.get': def(
      z.object({ playlistId: DocId, after: TrackCursor.optional(), limit: z.number().int().min(1).max(MAX_PAGE).optional() }).strict(),
      z.object({ playlist: Playlist, tracks: z.array(Track), total: Count }),
    ),
    /** How many tracks each playlist of `playlists.list` holds, and how long they play together. */
    'playlists.summaries': def(Empty, z.record(DocId, PlaylistSummary)),
    'playlists.create': def(z.object({ name: Name }).strict(), Playlist),
    'playlists.rename': def(z.object({ playlistId: DocId, name: Name }).strict(), Playlist),
    /** Owner only. Deletion wins over concurrent edits. */
    'playlists.delete': def(PlaylistRef, Empty),
    /** A member (not the owner) stops being one: the playlist is no longer shared with it, and
     * its owner can share it again. */
    'playlists.leave': def(PlaylistRef, Empty),
    /** Owner only. */
    'playlists.share': def(z.object({ playlistId: DocId, peerId: PeerId }).strict(), Playlist),
    /** Owner only: that peer gets no further updates. */
    'playlists.unshare': def(z.object({ playlistId: DocId, peerId: PeerId }).strict(), Playlist),
    /** Insert tracks at `index` (default: the end), in the given order. */
    'tracks.add': def(z.object({ playlistId: DocId, tracks: z.array(NewTrack).min(1).max(10_000), index: Index.optional() }).strict(), z.array(Track)),
    /** Read tracks from a pasted list, an M3U or a CSV file's text and insert them all at
     * `index` (default: the end), or none: a line that cannot be read is refused (`bad_import`,
     * naming the line) before anything is written. */
    'tracks.import': def(
      z.object({ playlistId: DocId, text: z.string().max(MAX_IMPORT_CHARS), format: ImportFormat.optional(), index: Index.optional() }).strict(),
      z.object({ count: z.number().int().nonnegative(), format: ImportFormat }),
    ),
    /** Move a track so it ends up at `index` of the playlist. */
    'tracks.move': def(z.object({ trackId: DocId, index: Index }).strict(), Track),
    'tracks.update': def(NewTrack.partial().extend({ trackId: DocId }), Track),
    'tracks.remove': def(z.object({ trackId: DocId }).strict(), Empty),
    /** Remove several tracks of one playlist at once. None is removed if one is unknown or of
     * another playlist; a write that fails part way says how many were not removed. */
    'tracks.removeMany': def(z.object({ trackIds: TrackIds }).strict(), Empty),
    /** Move several tracks of one playlist together, in the order given, to `index` of the
     * playlist without them (past its end: to the end). None moves if one is unknown or of
     * another playlist; one removed meanwhile fails the rest after it. */
    'tracks.moveMany': def(z.object({ trackIds: TrackIds, index: Index }).strict(), z.array(Track)),
    /** Replication state per peer and shared playlist. */
    'sync.status': def(Empty, z.array(SyncEntry)),
  },
  events: {
    /** Playlists that changed here or arrived from a peer (deleted ones flagged). */
    'playlists.changed': z.object({ playlists: z.array(Playlist) }),
    /** Tracks that changed (removed ones flagged). */
    'tracks.changed': z.object({ tracks: z.array(Track) }),
    'sync.changed': z.object({ entries: z.array(SyncEntry) }),
  },
});
export type PlaylistsProtocol = typeof playlistsProtocol;
/** What a service with this plugin speaks: core's protocol and this one (a client's type). */
export type WithPlaylists = Merged<CoreProtocol | PlaylistsProtocol>;
