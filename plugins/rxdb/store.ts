/**
 * Playlists and tracks as the app edits them. Every edit stamps the fields it changes (see
 * model/merge.ts for how concurrent edits merge) and goes through RxDB's incrementalModify, so
 * an edit racing a replicated write is applied on top of it rather than lost.
 */
import { normalizeMangoQuery, prepareQuery, type RxDocument } from 'rxdb';
import type { FieldEdit, NewTrack, Playlist, PlaylistSummary, Track, TrackCursor } from './protocol';
import { PeerId, WhatNextError, withoutUndefined } from '@whatnext/core';
import { sortableIds } from './model/ids';
import { HybridClock, parseStamp, stampTime } from './model/clock';
import { members, TRACK_FIELDS, type Clock, type PlaylistDoc, type TrackDoc } from './model/documents';
import { mergeVersions } from './model/merge';
import { keyAt, keysAt } from './model/positions';
import type { Leaving } from './model/leaving';
import type { Sharing } from './model/sharing';
import type { MembershipNotice } from './replication/peer-link';
import type { PlaylistCollections } from './storage/database';
import { documentChanges } from './storage/changes';

export interface StoreEvents {
  playlists(playlists: Playlist[]): void;
  tracks(tracks: Track[]): void;
}

/** Sorted by creation, so a new track lands at the end of every storage index. */
const newId = sortableIds();
/** Tracks read past an insertion spot; more tied keys than this read the whole playlist. */
const TIE_WINDOW = 64;

export class PlaylistStore {
  readonly #clock: HybridClock;
  readonly #listeners = { playlists: new Set<StoreEvents['playlists']>(), tracks: new Set<StoreEvents['tracks']>() };
  #pending = { playlists: new Map<string, Playlist>(), tracks: new Map<string, Track>() };
  #flushScheduled = false;
  readonly #subscriptions: { unsubscribe(): void }[] = [];

  constructor(
    private readonly collections: PlaylistCollections,
    private readonly sharing: Sharing,
    readonly local: string,
    private readonly leaving: Leaving,
    private readonly now: () => number = Date.now,
  ) {
    this.#clock = new HybridClock(local, now);
    this.#subscriptions.push(
      documentChanges(collections.playlists).subscribe((doc) => this.#queue('playlists', doc.id, toPlaylist(doc, !this.#visible(doc)))),
      documentChanges(collections.tracks).subscribe((doc) => {
        if (this.sharing.isMember(doc.playlist, this.local) && !this.leaving.has(doc.playlist)) this.#queue('tracks', doc.id, toTrack(doc));
      }),
    );
  }

  on<E extends keyof StoreEvents>(event: E, listener: StoreEvents[E]): () => void {
    (this.#listeners[event] as Set<StoreEvents[E]>).add(listener);
    return () => (this.#listeners[event] as Set<StoreEvents[E]>).delete(listener);
  }

  stop(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
  }

  /** How many tracks each of `playlists` holds here. */
  async trackCounts(playlists: readonly string[]): Promise<Record<string, number>> {
    const counts = await Promise.all(playlists.map((playlist) => this.collections.tracks.count({ selector: { playlist } }).exec()));
    return Object.fromEntries(playlists.map((playlist, i) => [playlist, counts[i]!]));
  }

  async list(): Promise<Playlist[]> {
    const docs = await this.collections.playlists.find().exec();
    return docs
      .map((doc) => doc.toJSON() as PlaylistDoc)
      .filter((doc) => this.#isMine(doc))
      .map((doc) => toPlaylist(doc))
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /** How many tracks each of `playlists` holds here, and their summed length. */
  async summaries(playlists: readonly string[]): Promise<Record<string, PlaylistSummary>> {
    const summaries = await Promise.all(
      playlists.map(async (playlist) => {
        const docs = await this.#inOrder(playlist);
        return { tracks: docs.length, durationMs: docs.reduce((sum, doc) => sum + doc.durationMs, 0) };
      }),
    );
    return Object.fromEntries(playlists.map((playlist, i) => [playlist, summaries[i]!]));
  }

  /** A playlist with its tracks in order: all, or at most `limit` of those after `after`. */
  async get(playlistId: string, page: { after?: TrackCursor; limit?: number } = {}): Promise<{ playlist: Playlist; tracks: Track[]; total: number }> {
    const playlist = await this.#playlist(playlistId);
    const [tracks, total] = await Promise.all([this.#inOrder(playlistId, page), this.collections.tracks.count({ selector: { playlist: playlistId } }).exec()]);
    return { playlist: toPlaylist(playlist.toJSON() as PlaylistDoc), tracks: tracks.map(toTrack), total };
  }

  async create(name: string): Promise<Playlist> {
    const now = this.now();
    const stamp = this.#clock.next();
    const doc = await this.collections.playlists.insert({
      id: newId(),
      name,
      owner: this.local,
      sharedWith: [],
      revoked: [],
      createdAt: now,
      updatedAt: now,
      clock: { name: stamp, sharedWith: stamp, revoked: stamp },
    });
    return toPlaylist(doc.toJSON() as PlaylistDoc);
  }

  async rename(playlistId: string, name: string): Promise<Playlist> {
    const doc = await this.#edit(await this.#playlist(playlistId), { name });
    return toPlaylist(doc.toJSON() as PlaylistDoc);
  }

  async delete(playlistId: string): Promise<void> {
    const playlist = await this.#playlist(playlistId, { owner: true });
    // Tracks first: a crash in between leaves an empty playlist, not orphaned tracks.
    await this.collections.tracks.find({ selector: { playlist: playlistId } }).remove();
    await playlist.remove();
  }

  async share(playlistId: string, peerId: string): Promise<Playlist> {
    if (peerId === this.local) throw new WhatNextError('invalid_peer', 'A playlist is always shared with its owner.');
    const playlist = await this.#playlist(playlistId, { owner: true });
    const data = playlist.toJSON() as PlaylistDoc;
    if (data.sharedWith.includes(peerId)) return toPlaylist(data);
    const doc = await this.#edit(playlist, { sharedWith: [...data.sharedWith, peerId].sort(), revoked: data.revoked.filter((p) => p !== peerId) });
    return toPlaylist(doc.toJSON() as PlaylistDoc);
  }

  async unshare(playlistId: string, peerId: string): Promise<Playlist> {
    const playlist = await this.#playlist(playlistId, { owner: true });
    const data = playlist.toJSON() as PlaylistDoc;
    if (!data.sharedWith.includes(peerId)) return toPlaylist(data);
    const doc = await this.#edit(playlist, {
      sharedWith: data.sharedWith.filter((p) => p !== peerId),
      revoked: [...new Set([...data.revoked, peerId])].sort(),
    });
    return toPlaylist(doc.toJSON() as PlaylistDoc);
  }

  async addTracks(playlistId: string, tracks: NewTrack[], index?: number): Promise<Track[]> {
    return (await this.#insertTracks(playlistId, tracks, index)).map(toTrack);
  }

  /** As `addTracks`, answering only how many were added (an import's tracks are not sent back). */
  async importTracks(playlistId: string, tracks: NewTrack[], index?: number): Promise<number> {
    return (await this.#insertTracks(playlistId, tracks, index)).length;
  }

  async #insertTracks(playlistId: string, tracks: NewTrack[], index?: number): Promise<TrackDoc[]> {
    await this.#playlist(playlistId);
    const positions = await this.#positionsFor(playlistId, index, tracks.length);
    const now = this.now();
    const stamp = this.#clock.next();
    const docs: TrackDoc[] = tracks.map((track, i) => ({
      id: newId(),
      playlist: playlistId,
      title: track.title,
      artist: track.artist,
      durationMs: track.durationMs,
      ...(track.uri !== undefined ? { uri: track.uri } : {}),
      position: positions[i]!,
      addedBy: this.local,
      addedAt: now,
      updatedAt: now,
      clock: { title: stamp, artist: stamp, durationMs: stamp, uri: stamp, position: stamp },
    }));
    const result = await this.collections.tracks.bulkInsert(docs);
    if (result.error.length > 0) {
      // All or none: tracks added as one (a paste, an import) are taken back if some failed.
      await this.collections.tracks.bulkRemove(result.success.map((doc) => doc.id)).catch(() => undefined);
      throw new WhatNextError('write_failed', `Could not add ${result.error.length} of ${docs.length} tracks; none were added.`);
    }
    return docs;
  }

  async moveTrack(trackId: string, index: number): Promise<Track> {
    const track = await this.#track(trackId);
    const ordered = (await this.#inOrder(track.playlist)).filter((t) => t.id !== trackId);
    const doc = await this.#edit(track, { position: keyAt(ordered, index) });
    return toTrack(doc.toJSON() as TrackDoc);
  }

  async updateTrack(trackId: string, changes: Partial<Pick<TrackDoc, 'title' | 'artist' | 'durationMs' | 'uri'>>): Promise<Track> {
    const doc = await this.#edit<TrackDoc>(await this.#track(trackId), withoutUndefined(changes));
    return toTrack(doc.toJSON() as TrackDoc);
  }

  async removeTrack(trackId: string): Promise<void> {
    await (await this.#track(trackId)).remove();
  }

  async removeTracks(trackIds: readonly string[]): Promise<void> {
    await this.#tracksOfOnePlaylist(trackIds);
    const { error } = await this.collections.tracks.bulkRemove([...trackIds]);
    if (error.length > 0) throw new WhatNextError('write_failed', `Could not remove ${error.length} of ${trackIds.length} tracks.`);
  }

  /** The tracks, in the order given, placed together at `index` of the others. */
  async moveTracks(trackIds: readonly string[], index: number): Promise<Track[]> {
    const docs = await this.#tracksOfOnePlaylist(trackIds);
    const moving = new Set(trackIds);
    const others = (await this.#inOrder(docs[0]!.playlist)).filter((t) => !moving.has(t.id));
    const positions = keysAt(others, index, docs.length);
    const moved = await Promise.all(docs.map((doc, i) => this.#edit(doc, { position: positions[i]! })));
    return moved.map((doc) => toTrack(doc.toJSON() as TrackDoc));
  }

  /** A member leaves: the owner is asked to take it off (see model/leaving.ts); from now on this
   * peer shows the playlist as gone and refuses edits to it. */
  async leave(playlistId: string): Promise<{ owner: string }> {
    const playlist = await this.#playlist(playlistId);
    const data = playlist.toJSON() as PlaylistDoc;
    if (data.owner === this.local)
      throw new WhatNextError('owner_cannot_leave', 'This is your playlist: you cannot leave it. Delete it, or stop sharing it with the others.');
    this.leaving.add(playlistId, data.owner);
    this.#queue('playlists', data.id, toPlaylist(data, true));
    return { owner: data.owner };
  }

  /** `from` asks to be taken off playlists (it left them): those this peer owns and `from` is a
   * member of, it unshares with a write of its own. Anything else is ignored. */
  async removeLeaver(from: string, playlists: readonly string[]): Promise<void> {
    for (const id of playlists) {
      const doc = await this.collections.playlists.findOne(id).exec();
      if (!doc || doc.owner !== this.local || !doc.sharedWith.includes(from)) continue;
      await this.unshare(id, from);
    }
  }

  /** The tracks named, in that order: all known here, all of one playlist this peer is in. */
  async #tracksOfOnePlaylist(trackIds: readonly string[]): Promise<RxDocument<TrackDoc>[]> {
    const found = await this.collections.tracks.findByIds([...trackIds]).exec();
    const missing = trackIds.filter((id) => !found.has(id));
    if (missing.length > 0)
      throw new WhatNextError(
        'unknown_track',
        `There is no track ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` (and ${missing.length - 3} more)` : ''}.`,
      );
    const docs = trackIds.map((id) => found.get(id)!);
    const playlists = new Set(docs.map((doc) => doc.playlist));
    if (playlists.size > 1) throw new WhatNextError('not_one_playlist', `Those tracks are in ${playlists.size} playlists; change the tracks of one at a time.`);
    await this.#playlist(docs[0]!.playlist);
    return docs;
  }

  /** The owner's membership write, to tell a peer it was removed. */
  async membershipNotice(playlistId: string): Promise<MembershipNotice | undefined> {
    const doc = await this.collections.playlists.findOne(playlistId).exec();
    if (!doc) return undefined;
    const data = doc.toJSON() as PlaylistDoc;
    return {
      id: data.id,
      owner: data.owner,
      sharedWith: data.sharedWith,
      revoked: data.revoked,
      clock: { sharedWith: data.clock.sharedWith ?? '', revoked: data.clock.revoked ?? '' },
    };
  }

  /** Merge a membership notice from `from` (a member) into the local copy; stamps decide, so a
   * stale notice changes nothing. */
  async applyMembershipNotice(from: string, notice: MembershipNotice): Promise<void> {
    if (!this.sharing.isMember(notice.id, from)) return;
    const doc = await this.collections.playlists.findOne(notice.id).exec();
    if (!doc || doc.owner !== notice.owner) return;
    await doc.incrementalModify((data) => {
      const incoming = { ...data, sharedWith: notice.sharedWith, revoked: notice.revoked, clock: { ...data.clock, ...notice.clock } };
      return mergeVersions(data, incoming, ['sharedWith', 'revoked']);
    });
  }

  async #playlist(id: string, require: { owner?: boolean } = {}): Promise<RxDocument<PlaylistDoc>> {
    const doc = await this.collections.playlists.findOne(id).exec();
    if (!doc || !this.#isMine(doc)) throw new WhatNextError('unknown_playlist', `There is no playlist ${id}.`);
    if (require.owner && doc.owner !== this.local) throw new WhatNextError('not_owner', 'Only the owner of a playlist can do that.');
    return doc;
  }

  async #track(id: string): Promise<RxDocument<TrackDoc>> {
    const doc = await this.collections.tracks.findOne(id).exec();
    if (!doc) throw new WhatNextError('unknown_track', `There is no track ${id}.`);
    await this.#playlist(doc.playlist);
    return doc;
  }

  /** Keys for `count` tracks at `index` (default: the end). At the end only the last track
   * matters, read alone from the index; elsewhere the tracks before the spot and a few after. */
  async #positionsFor(playlistId: string, index: number | undefined, count: number): Promise<string[]> {
    if (index === undefined) return keysAt(await this.#inOrder(playlistId, { last: true }), 1, count);
    const before = Math.max(0, index - 1);
    const at = index - before;
    // The track before the spot and enough after it to step past any tied with it (keysAt).
    const window = await this.#inOrder(playlistId, { skip: before, limit: TIE_WINDOW });
    if (window.length < at) return this.#positionsFor(playlistId, undefined, count); // past the end
    const tiedToTheEnd = window.length === TIE_WINDOW && at > 0 && window.at(-1)!.position <= window[at - 1]!.position;
    return tiedToTheEnd ? keysAt(await this.#inOrder(playlistId), index, count) : keysAt(window, at, count);
  }

  /** The playlist's tracks in order, or a page of them, read straight from the storage's
   * (playlist, position, id) index: no RxDB document is made or cached for them. */
  async #inOrder(playlistId: string, page: { after?: TrackCursor; skip?: number; limit?: number; last?: boolean } = {}): Promise<TrackDoc[]> {
    const { after } = page;
    const selector = {
      playlist: playlistId,
      _deleted: false,
      // The range starts at the cursor's position; the $or drops what ties with it up to its id.
      ...(after && { position: { $gte: after.position }, $or: [{ position: { $gt: after.position } }, { position: after.position, id: { $gt: after.id } }] }),
    };
    const direction = page.last ? 'desc' : 'asc';
    const tracks = this.collections.tracks;
    const query = normalizeMangoQuery<TrackDoc>(tracks.schema.jsonSchema, {
      selector: selector as never,
      sort: [{ position: direction }, { id: direction }],
      ...(page.skip !== undefined && { skip: page.skip }),
      ...(page.last ? { limit: 1 } : page.limit !== undefined && { limit: page.limit }),
    });
    const { documents } = await tracks.storageInstance.query(prepareQuery(tracks.schema.jsonSchema, query));
    return documents;
  }

  /** Set fields with a fresh stamp, on top of whatever the document holds by then. */
  async #edit<T extends PlaylistDoc | TrackDoc>(doc: RxDocument<T>, changes: Partial<T>): Promise<RxDocument<T>> {
    const edited = await doc.incrementalModify((data) => {
      if ((data as { _deleted?: boolean })._deleted) throw new WhatNextError('deleted', 'It was deleted meanwhile.');
      const record = data as unknown as Record<string, unknown>;
      const stamp = this.#clock.next(Object.values(data.clock));
      const clock = { ...data.clock };
      for (const [field, value] of Object.entries(changes)) {
        if (value === undefined) delete record[field];
        else record[field] = value;
        clock[field] = stamp;
      }
      record.clock = clock;
      record.updatedAt = Math.max(data.updatedAt, stampTime(stamp));
      return data;
    });
    return edited as RxDocument<T>;
  }

  #visible(doc: PlaylistDoc): boolean {
    return !(doc as { _deleted?: boolean })._deleted && this.#isMine(doc);
  }

  /** A playlist this peer is in and has not left. */
  #isMine(doc: Pick<PlaylistDoc, 'id' | 'owner' | 'sharedWith'>): boolean {
    return members(doc).includes(this.local) && !this.leaving.has(doc.id);
  }

  #queue<K extends 'playlists' | 'tracks'>(kind: K, id: string, value: K extends 'playlists' ? Playlist : Track): void {
    (this.#pending[kind] as Map<string, unknown>).set(id, value);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      const { playlists, tracks } = this.#pending;
      this.#pending = { playlists: new Map(), tracks: new Map() };
      if (playlists.size > 0) for (const listener of this.#listeners.playlists) listener([...playlists.values()]);
      if (tracks.size > 0) for (const listener of this.#listeners.tracks) listener([...tracks.values()]);
    });
  }
}

function toPlaylist(doc: PlaylistDoc & { _deleted?: boolean }, hidden = false): Playlist {
  return {
    id: doc.id,
    name: doc.name,
    owner: doc.owner,
    sharedWith: [...doc.sharedWith],
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    edits: editsOf(doc.clock, ['name', 'sharedWith']),
    ...(doc._deleted || hidden ? { deleted: true } : {}),
  };
}

function toTrack(doc: TrackDoc & { _deleted?: boolean }): Track {
  return {
    id: doc.id,
    playlistId: doc.playlist,
    title: doc.title,
    artist: doc.artist,
    durationMs: doc.durationMs,
    ...(doc.uri !== undefined ? { uri: doc.uri } : {}),
    position: doc.position,
    addedBy: doc.addedBy,
    addedAt: doc.addedAt,
    updatedAt: doc.updatedAt,
    edits: editsOf(doc.clock, TRACK_FIELDS),
    ...(doc._deleted ? { removed: true } : {}),
  };
}

/** Each field's last edit, from its stamp (`<ms>.<counter>.<peer>`): the author is the peer
 * whose clock made the stamp, the time its wall clock then. A field with no stamp is left out. */
function editsOf(clock: Clock, fields: readonly string[]): Record<string, FieldEdit> {
  const edits: Record<string, FieldEdit> = {};
  for (const field of fields) {
    const stamp = clock[field];
    const edit = stamp ? editOf(stamp) : undefined;
    if (edit) edits[field] = { ...edit };
  }
  return edits;
}

/** Stamps read lately: the tracks of one add or one sync share a few stamps, and a playlist's
 * page reads each of them for every field. */
const readStamps = new Map<string, FieldEdit | undefined>();
const READ_STAMPS_MAX = 4096;

function editOf(stamp: string): FieldEdit | undefined {
  if (readStamps.has(stamp)) return readStamps.get(stamp);
  const { ms, peer } = parseStamp(stamp);
  const edit = isPeerId(peer) ? { by: peer, at: ms } : undefined;
  if (readStamps.size >= READ_STAMPS_MAX) readStamps.clear();
  readStamps.set(stamp, edit);
  return edit;
}

/** The few authors of a playlist's stamps, checked once each rather than once per field of every
 * track (a 10,000-track playlist has 60,000 stamps). Bounded: cleared when full. */
const checkedPeers = new Map<string, boolean>();
function isPeerId(peer: string): boolean {
  let valid = checkedPeers.get(peer);
  if (valid === undefined) {
    if (checkedPeers.size >= 1024) checkedPeers.clear();
    checkedPeers.set(peer, (valid = PeerId.safeParse(peer).success));
  }
  return valid;
}
