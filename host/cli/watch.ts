/**
 * A playlist someone shares with us is announced (`shared`) when it first arrives. `watch`: the
 * watched playlists' changes as lines, whoever made them. A track is "added" the
 * first time it is seen, "changed" after, "removed" when flagged so; who made the change is read
 * off the track itself (its newest field edit), so a peer's edit names the peer.
 */
import type { Playlist, Track } from '../../plugins/rxdb/protocol';
import { formatTrack, type PlaylistClient } from './playlists';

export interface Watcher {
  /** The playlists there are now: later ones from a peer are announced as shared with us. */
  known(playlists: Playlist[]): void;
  /** Start printing a playlist's changes (what it holds now is not printed). */
  watch(playlist: Playlist): Promise<void>;
  clear(): void;
  stop(): void;
}

export function watchChanges(client: PlaylistClient, print: (line: string) => void, local: string, nameOf: (peerId: string) => string): Watcher {
  const watching = new Set<string>();
  const seen = new Set<string>();
  const names = new Map<string, string>();
  const author = (track: Track) => nameOf(Object.values(track.edits).sort((a, b) => b.at - a.at)[0]?.by ?? track.addedBy);
  const offs = [
    client.on('playlists.changed', ({ playlists }) => {
      for (const p of playlists) {
        const before = names.get(p.id);
        names.set(p.id, p.name);
        if (before === undefined && p.owner !== local && !p.deleted) print(`shared playlist ${p.id} "${p.name}" by ${nameOf(p.owner)}`);
        if (!watching.has(p.id)) continue;
        if (p.deleted) print(`watch "${p.name}" deleted`);
        else if (before !== undefined && before !== p.name) print(`watch "${before}" renamed to "${p.name}" by ${nameOf(p.edits.name?.by ?? p.owner)}`);
      }
    }),
    client.on('tracks.changed', ({ tracks }) => {
      for (const t of tracks) {
        // Only watched playlists' tracks are remembered (`watch` learns what one holds at its start).
        if (!watching.has(t.playlistId)) continue;
        const known = seen.has(t.id);
        seen.add(t.id);
        const playlist = names.get(t.playlistId) ?? t.playlistId;
        if (t.removed) print(`watch "${playlist}" removed ${formatTrack(t)}`);
        else print(`watch "${playlist}" ${known ? 'changed' : 'added'} ${formatTrack(t)} by ${author(t)}`);
      }
    }),
  ];
  return {
    known(playlists) {
      for (const p of playlists) names.set(p.id, p.name);
    },
    async watch(playlist) {
      const { tracks } = await client.request('playlists.get', { playlistId: playlist.id });
      names.set(playlist.id, playlist.name);
      for (const t of tracks) seen.add(t.id);
      watching.add(playlist.id);
    },
    clear: () => watching.clear(),
    stop: () => offs.forEach((off) => off()),
  };
}
