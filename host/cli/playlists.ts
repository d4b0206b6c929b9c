/**
 * The terminal peer's playlist commands, over the rxdb plugin's part of the protocol. A playlist
 * is named by its id, the start of its id, or its name; a track by its number in `show`; a peer
 * by its id or its name (a known or connected peer).
 */
import { readFile } from 'node:fs/promises';
import { WhatNextError } from '../../core/errors';
import type { ServiceClient } from '../../core/protocol/client';
import type { ImportFormat, Playlist, PlaylistSummary, Track, WithPlaylists } from '../../plugins/rxdb/protocol';
import type { Command } from './commands';
import type { Watcher } from './watch';

export type PlaylistClient = ServiceClient<WithPlaylists>;

export const formatLength = (ms: number) => {
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
};

export const formatTrack = (track: Pick<Track, 'artist' | 'title' | 'durationMs'>) =>
  `${track.artist} – ${track.title}${track.durationMs > 0 ? ` (${formatLength(track.durationMs)})` : ''}`;

/** "5 tracks (17:45)": how many, and how long they play together when any has a length. */
export const describeSummary = ({ tracks, durationMs }: PlaylistSummary) =>
  `${tracks} track${tracks === 1 ? '' : 's'}${durationMs > 0 ? ` (${formatLength(durationMs)})` : ''}`;

/** Which playlist `ref` names: refused with a message when none or several do. A command whose
 * only argument is the playlist takes the rest of the line, so a name needs no quotes there. */
export async function findPlaylist(client: PlaylistClient, ref: string | undefined): Promise<Playlist> {
  if (!ref) throw new WhatNextError('bad_request', 'Name a playlist: its name (in quotes if it has spaces) or its id.');
  const all = await client.request('playlists.list', {});
  const exact = all.find((p) => p.id === ref);
  if (exact) return exact;
  const lower = ref.toLowerCase();
  const matches = all.filter((p) => p.name.toLowerCase() === lower || (ref.length >= 4 && p.id.startsWith(ref)));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new WhatNextError('unknown_playlist', `No playlist "${ref}" here: \`playlists\` lists them.`);
  throw new WhatNextError('bad_request', `"${ref}" names ${matches.length} playlists: use an id (${matches.map((p) => p.id).join(', ')}).`);
}

/** Track `number` (1-based, as `show` prints) of a playlist. */
async function findTrack(client: PlaylistClient, playlist: Playlist, number: string | undefined): Promise<{ track: Track; tracks: Track[] }> {
  const { tracks } = await client.request('playlists.get', { playlistId: playlist.id });
  const index = Number(number) - 1;
  const track = Number.isInteger(index) ? tracks[index] : undefined;
  if (!track) throw new WhatNextError('unknown_track', `"${playlist.name}" has no track number ${number ?? '(none given)'}: it has ${tracks.length}.`);
  return { track, tracks };
}

/** A peer by id or by name, among the known and connected peers. */
async function findPeer(client: PlaylistClient, ref: string | undefined): Promise<{ id: string; name: string }> {
  if (!ref) throw new WhatNextError('bad_request', 'Name a peer: its name or its id (`peers` lists them).');
  const [known, connections] = await Promise.all([client.request('peers.known', {}), client.request('connections.list', {})]);
  const connected = connections.map((c) => ({ id: c.remote.id, name: c.remote.name }));
  const peers = [...known, ...connected];
  const byId = peers.find((p) => p.id === ref);
  if (byId) return byId;
  const named = [...new Map(peers.filter((p) => p.name.toLowerCase() === ref.toLowerCase()).map((p) => [p.id, p])).values()];
  if (named.length === 1) return named[0]!;
  if (named.length === 0) throw new WhatNextError('bad_request', `No peer "${ref}" here: \`peers\` lists the peers you know.`);
  throw new WhatNextError('bad_request', `"${ref}" names ${named.length} peers: use an id (${named.map((p) => p.id).join(', ')}).`);
}

/** A whole number ≥ 1 from a command's word, or a message saying what it must be. */
function position(word: string | undefined, what: string): number {
  const n = Number(word);
  if (!Number.isInteger(n) || n < 1) throw new WhatNextError('bad_request', `${what} is a track number (1 for the first), not "${word ?? ''}".`);
  return n;
}

export function playlistCommands(client: PlaylistClient, print: (line: string) => void, watcher: Watcher): Command[] {
  const describePlaylist = (p: Playlist, summary?: PlaylistSummary) =>
    `playlist ${p.id} "${p.name}"${summary ? ` ${describeSummary(summary)}` : ''}${p.sharedWith.length ? ` shared with ${p.sharedWith.length}` : ''}`;
  return [
    {
      name: 'playlists',
      usage: 'playlists',
      summary: 'list your playlists and the ones shared with you',
      async run() {
        const [all, summaries] = await Promise.all([client.request('playlists.list', {}), client.request('playlists.summaries', {})]);
        if (all.length === 0) print('no playlists yet: create <name>');
        for (const p of all) print(describePlaylist(p, summaries[p.id] ?? { tracks: 0, durationMs: 0 }));
      },
    },
    {
      name: 'show',
      usage: 'show <playlist>',
      summary: 'the tracks of a playlist, numbered',
      async run(words) {
        const playlist = await findPlaylist(client, words.rest(1));
        const { tracks } = await client.request('playlists.get', { playlistId: playlist.id });
        print(describePlaylist(playlist, { tracks: tracks.length, durationMs: tracks.reduce((sum, t) => sum + t.durationMs, 0) }));
        tracks.forEach((t, i) => print(`${i + 1}. ${formatTrack(t)}`));
      },
    },
    {
      name: 'create',
      usage: 'create <name>',
      summary: 'a new playlist',
      async run(words) {
        const playlist = await client.request('playlists.create', { name: words.rest(1) });
        print(`created ${describePlaylist(playlist)}`);
      },
    },
    {
      name: 'rename',
      usage: 'rename <playlist> <new name>',
      summary: 'rename a playlist (a member may)',
      async run(words) {
        const playlist = await findPlaylist(client, words.word(1));
        const renamed = await client.request('playlists.rename', { playlistId: playlist.id, name: words.rest(2) });
        print(`renamed ${describePlaylist(renamed)}`);
      },
    },
    // Commands that take only a playlist and say what was done to it.
    ...(
      [
        ['delete', 'playlists.delete', 'delete a playlist you own, everywhere', 'deleted'],
        ['leave', 'playlists.leave', 'stop being a member of a playlist shared with you', 'left'],
      ] as const
    ).map(([name, method, summary, done]): Command => ({
      name,
      usage: `${name} <playlist>`,
      summary,
      async run(words) {
        const playlist = await findPlaylist(client, words.rest(1));
        await client.request(method, { playlistId: playlist.id });
        print(`${done} "${playlist.name}"`);
      },
    })),
    ...(['share', 'unshare'] as const).map((name): Command => ({
      name,
      usage: `${name} <playlist> <peer>`,
      summary: name === 'share' ? 'share a playlist you own with a peer' : 'stop sharing a playlist with a peer',
      async run(words) {
        const playlist = await findPlaylist(client, words.word(1));
        const peer = await findPeer(client, words.rest(2));
        await client.request(name === 'share' ? 'playlists.share' : 'playlists.unshare', { playlistId: playlist.id, peerId: peer.id });
        print(`${name}d "${playlist.name}" with ${peer.name} (${peer.id})`);
      },
    })),
    {
      name: 'add',
      usage: 'add <playlist> <Artist – Title [m:ss]>',
      summary: 'add a track at the end',
      async run(words) {
        const playlist = await findPlaylist(client, words.word(1));
        const { count } = await client.request('tracks.import', { playlistId: playlist.id, text: words.rest(2), format: 'lines' });
        print(`added ${count} to "${playlist.name}"`);
      },
    },
    {
      name: 'move',
      usage: 'move <playlist> <from> <to>',
      summary: 'move track number <from> to number <to>',
      async run(words) {
        const playlist = await findPlaylist(client, words.word(1));
        const { track } = await findTrack(client, playlist, words.word(2));
        const to = position(words.word(3), 'Where to move it');
        await client.request('tracks.move', { trackId: track.id, index: to - 1 });
        print(`moved ${formatTrack(track)} to ${to}`);
      },
    },
    {
      name: 'remove',
      usage: 'remove <playlist> <number>',
      summary: 'remove a track',
      async run(words) {
        const playlist = await findPlaylist(client, words.word(1));
        const { track } = await findTrack(client, playlist, words.word(2));
        await client.request('tracks.remove', { trackId: track.id });
        print(`removed ${formatTrack(track)}`);
      },
    },
    {
      name: 'import',
      usage: 'import <playlist> <file> [lines|m3u|csv]',
      summary: 'add the tracks of a text, M3U or CSV file (all, or none if a line is bad)',
      async run(words) {
        const playlist = await findPlaylist(client, words.word(1));
        const file = words.word(2);
        if (!file) throw new WhatNextError('bad_request', 'Name the file to import.');
        const format = words.word(3) as ImportFormat | undefined;
        const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new WhatNextError('bad_request', `Could not read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}.`);
        });
        const result = await client.request('tracks.import', { playlistId: playlist.id, text, ...(format ? { format } : {}) });
        print(`imported ${result.count} tracks into "${playlist.name}" (${result.format})`);
      },
    },
    {
      name: 'watch',
      usage: 'watch <playlist> | watch off',
      summary: "print a playlist's changes as they happen, yours and your peers'",
      async run(words) {
        if (words.word(1) === 'off') {
          watcher.clear();
          return print('watching nothing');
        }
        const playlist = await findPlaylist(client, words.rest(1));
        await watcher.watch(playlist);
        print(`watching "${playlist.name}"`);
      },
    },
    {
      name: 'sync',
      usage: 'sync',
      summary: 'replication with each peer, per shared playlist',
      async run() {
        const entries = await client.request('sync.status', {});
        if (entries.length === 0) print('nothing shared with a connected peer');
        for (const e of entries) print(`sync ${e.playlistId} ${e.peerId} ${e.state} sent ${e.sent} received ${e.received}${e.error ? `: ${e.error}` : ''}`);
      },
    },
  ];
}
