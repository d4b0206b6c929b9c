/**
 * The replicated documents and their RxDB schemas.
 *
 * Every field a user can change is a last-writer-wins register: `clock[field]` holds the stamp
 * (see clock.ts) of the write that set it. Merging two versions of a document takes each field
 * from the version with the higher stamp (merge.ts), so edits to different fields never undo
 * each other. Fields not in `clock` never change after creation.
 */
import type { RxJsonSchema } from 'rxdb';

export const ID_MAX = 32;
/** Fractional index keys grow slowly with repeated inserts at one spot; this is generous. */
export const POSITION_MAX = 256;

export type Clock = Record<string, string>;

export interface PlaylistDoc {
  id: string;
  name: string;
  /** The peer that created it: the only one who may share or unshare it. */
  owner: string;
  /** Peers it is shared with (besides the owner). */
  sharedWith: string[];
  /** Peers it was shared with and no longer is: told so, so they stop sending their edits. */
  revoked: string[];
  createdAt: number;
  /** Latest change to any field (epoch ms). */
  updatedAt: number;
  clock: Clock;
}

export interface TrackDoc {
  id: string;
  playlist: string;
  title: string;
  artist: string;
  durationMs: number;
  uri?: string;
  /** Fractional index key: tracks sort by (position, id). */
  position: string;
  addedBy: string;
  addedAt: number;
  updatedAt: number;
  clock: Clock;
}

/** The fields merged by last-writer-wins, per collection. */
export const PLAYLIST_FIELDS = ['name', 'sharedWith', 'revoked'] as const satisfies readonly (keyof PlaylistDoc)[];
export const TRACK_FIELDS = ['title', 'artist', 'durationMs', 'uri', 'position'] as const satisfies readonly (keyof TrackDoc)[];

export const members = (playlist: Pick<PlaylistDoc, 'owner' | 'sharedWith'>): string[] => [playlist.owner, ...playlist.sharedWith];

const id = { type: 'string', maxLength: ID_MAX } as const;
const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;
const time = { type: 'number', minimum: 0, maximum: 1e15, multipleOf: 1 } as const;
const clock = { type: 'object', additionalProperties: { type: 'string', maxLength: 128 } } as const;

export const playlistSchema: RxJsonSchema<PlaylistDoc> = {
  title: 'playlist',
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id,
    name: text(200),
    owner: id,
    sharedWith: { type: 'array', items: id, maxItems: 256 },
    revoked: { type: 'array', items: id, maxItems: 1024 },
    createdAt: time,
    updatedAt: time,
    clock,
  },
  required: ['id', 'name', 'owner', 'sharedWith', 'revoked', 'createdAt', 'updatedAt', 'clock'],
  additionalProperties: false,
};

export const trackSchema: RxJsonSchema<TrackDoc> = {
  title: 'track',
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id,
    playlist: id,
    title: text(500),
    artist: text(500),
    durationMs: { type: 'integer', minimum: 0, maximum: 1e10 },
    uri: text(2048),
    position: text(POSITION_MAX),
    addedBy: id,
    addedAt: time,
    updatedAt: time,
    clock,
  },
  required: ['id', 'playlist', 'title', 'artist', 'durationMs', 'position', 'addedBy', 'addedAt', 'updatedAt', 'clock'],
  // A playlist's tracks in order (RxDB appends the id): pages, counts and the last track are
  // ranges of this index.
  indexes: [['playlist', 'position']],
  additionalProperties: false,
};
