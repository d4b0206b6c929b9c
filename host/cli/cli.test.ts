/** The terminal peer: two of them pair through manual signaling by stdin/stdout, then create,
 * share, co-edit and import playlists, each as a person would type it. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../service/testing/temp-dirs';
import { GREETER, installPackage } from '../service/testing/data-folder-plugins';

const CLI = fileURLToPath(new URL('./main.ts', import.meta.url));
const CONFIG = fileURLToPath(new URL('../service/testing/fixtures/terminal.config.ts', import.meta.url));
const SMALL_BATCHES = fileURLToPath(new URL('../service/testing/fixtures/terminal-small-batches.config.ts', import.meta.url));

interface CliPeer {
  child: ChildProcessWithoutNullStreams;
  send(line: string): void;
  /** The first output line (from now or already printed) matching `pattern`. */
  line(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  /** What it wrote to stderr (the service's log) so far. */
  stderr(): string;
}

const peers: CliPeer[] = [];
afterAll(async () => {
  for (const peer of peers) if (peer.child.exitCode === null) peer.child.kill('SIGTERM');
  await Promise.all(peers.map((peer) => peer.exited));
});

/** A peer in a process group of its own (`detached`), so that a test can signal the group as a
 * terminal's Ctrl+C does: the CLI and its service both get SIGINT. */
function startCli(name: string, ...flags: string[]): CliPeer {
  const config = flags.includes('--config') ? [] : ['--config', CONFIG];
  const dataDir = flags.includes('--data-dir') ? [] : ['--data-dir', tempDir('whatnext-cli-')];
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--name', name, ...dataDir, ...config, ...flags], {
    stdio: 'pipe',
    detached: true,
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const waiters = new Set<() => void>();
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const complete = partial.split('\n');
    partial = complete.pop()!;
    lines.push(...complete);
    for (const waiter of [...waiters]) waiter();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const peer: CliPeer = {
    child,
    send: (line) => child.stdin.write(`${line}\n`),
    line: (pattern) =>
      new Promise((resolve) => {
        const check = () => {
          for (const line of lines) {
            const match = line.match(pattern);
            if (match) {
              waiters.delete(check);
              lines.splice(lines.indexOf(line), 1);
              return resolve(match);
            }
          }
        };
        waiters.add(check);
        check();
      }),
    exited,
    stderr: () => stderr,
  };
  peers.push(peer);
  return peer;
}

/** Pairs two started peers by pasting the invite link and the reply code: their connection ids. */
async function pair(alice: CliPeer, bob: CliPeer): Promise<{ aliceConnection: string; bobConnection: string; aliceId: string }> {
  const [, aliceId] = await alice.line(/^peer Alice ([0-9a-z]{26})$/);
  await bob.line(/^peer Bob [0-9a-z]{26}$/);
  alice.send('invite manual');
  const [, inviteId, link] = await alice.line(/^invite (\S+) (whtnxt:\/\/connect\?\S+)$/);
  bob.send(link!);
  const [, requestId, who] = await bob.line(/^request (\S+) (.+) via manual/);
  expect(who).toContain(aliceId);
  bob.send(`approve ${requestId}`);
  const [, code] = await bob.line(/^show \S+ Send this reply code back: (wna2\.\S+)$/);
  alice.send(`answer ${inviteId} ${code}`);
  const [, aliceConnection] = await alice.line(/^connection (\S+) open Bob/);
  const [, bobConnection] = await bob.line(/^connection (\S+) open Alice/);
  return { aliceConnection: aliceConnection!, bobConnection: bobConnection!, aliceId: aliceId! };
}

async function quitBoth(alice: CliPeer, bob: CliPeer): Promise<void> {
  alice.send('quit');
  bob.send('quit');
  expect(await alice.exited).toBe(0);
  expect(await bob.exited).toBe(0);
}

/** What `show` prints of a playlist: its header line (the count) and its numbered tracks. */
async function shown(peer: CliPeer, playlist: string, count: number): Promise<string[]> {
  peer.send(`show "${playlist}"`);
  const lines = [(await peer.line(new RegExp(`^playlist \\S+ "${playlist}" ${count} tracks\\b`)))[0]];
  for (let n = 1; n <= count; n++) lines.push((await peer.line(new RegExp(`^${n}\\. .*$`)))[0]);
  return lines;
}

describe('npm run peer', () => {
  it('prints its peer id, connects to another CLI peer by pasting codes, prints the path, carries messages, and quits with 0', async () => {
    const alice = startCli('Alice', '--verbose');
    const bob = startCli('Bob');
    const { aliceConnection, bobConnection } = await pair(alice, bob);
    // Its service runs in a process of its own, with least privilege (`--verbose` shows its log).
    expect(alice.stderr()).toContain("[info] least privilege (Node's permission model): may write its data folder, and not write elsewhere");
    // The path each side's connection takes, from its selected ICE candidate pair: on loopback,
    // both ends are host candidates.
    await alice.line(new RegExp(`^path ${aliceConnection} direct \\(host ↔ host\\)$`));
    await bob.line(new RegExp(`^path ${bobConnection} direct \\(host ↔ host\\)$`));
    bob.send(`send ${bobConnection} chat warming up`); // makes Bob listen on "chat" too
    alice.send(`send ${aliceConnection} chat hello from Alice`);
    await bob.line(/^message \S+ chat hello from Alice$/);

    await quitBoth(alice, bob);
    // Quiet by default: the service's info and debug lines only with --verbose.
    expect(bob.stderr()).not.toMatch(/^\[(info|debug)\]/m);
    expect(alice.stderr()).toMatch(/^\[info\] ready: Alice/m);
  });

  it('two peers create, share, co-edit and import a playlist, each seeing the other’s edits as they happen', async () => {
    const alice = startCli('Alice');
    const bob = startCli('Bob');
    await pair(alice, bob);

    alice.send('create Road trip');
    await alice.line(/^created playlist \S+ "Road trip"$/);
    alice.send('add "road trip" Nina Simone – Feeling Good (3:35)');
    await alice.line(/^added 1 to "Road trip"$/);
    alice.send('watch "Road trip"');
    await alice.line(/^watching "Road trip"$/);
    alice.send('share "Road trip" Bob');
    await alice.line(/^shared "Road trip" with Bob \([0-9a-z]{26}\)$/);

    // Bob hears of it when it arrives, watches it, and sees Alice's next track as she adds it.
    await bob.line(/^shared playlist \S+ "Road trip" by Alice$/);
    bob.send('watch "Road trip"');
    await bob.line(/^watching "Road trip"$/);
    alice.send('add "Road trip" 2. Daft Punk - One More Time [5:20]');
    await bob.line(/^watch "Road trip" added Daft Punk – One More Time \(5:20\) by Alice$/);

    // Bob's edits reach Alice, each named as his.
    bob.send('add "Road trip" Jóga by Björk');
    await alice.line(/^watch "Road trip" added Björk – Jóga by Bob$/);
    bob.send('move "Road trip" 3 1');
    await bob.line(/^moved Björk – Jóga to 1$/);
    await alice.line(/^watch "Road trip" changed Björk – Jóga by Bob$/);
    bob.send('rename "Road trip" Road trip 2026');
    await alice.line(/^watch "Road trip" renamed to "Road trip 2026" by Bob$/);

    // A file imported on one side arrives on the other, whole.
    const m3u = join(tempDir('whatnext-cli-import-'), 'mix.m3u');
    writeFileSync(m3u, '#EXTM3U\n#EXTINF:200,Portishead - Roads\nroads.flac\n#EXTINF:330,Massive Attack - Teardrop\nteardrop.flac\n');
    alice.send(`import "Road trip 2026" ${m3u}`);
    await alice.line(/^imported 2 tracks into "Road trip 2026" \(m3u\)$/);
    await bob.line(/^watch "Road trip 2026" added Portishead – Roads \(3:20\) by Alice$/);
    await bob.line(/^watch "Road trip 2026" added Massive Attack – Teardrop \(5:30\) by Alice$/);

    const mine = await shown(alice, 'Road trip 2026', 5);
    expect(mine.slice(1)).toEqual([
      '1. Björk – Jóga',
      '2. Nina Simone – Feeling Good (3:35)',
      '3. Daft Punk – One More Time (5:20)',
      '4. Portishead – Roads (3:20)',
      '5. Massive Attack – Teardrop (5:30)',
    ]);
    expect(await shown(bob, 'Road trip 2026', 5)).toEqual(mine);
    alice.send('playlists');
    await alice.line(/^playlist \S+ "Road trip 2026" 5 tracks \(17:45\) shared with 1$/);

    // Mistakes get a line that says what was wrong; nothing is added.
    bob.send('add "Road trip 2026" just a title');
    await bob.line(/^error Line 1: expected "Artist – Title", got "just a title"\.$/);
    bob.send('remove "No such list" 1');
    await bob.line(/^error No playlist "No such list" here: `playlists` lists them\.$/);
    bob.send('delete "Road trip 2026"');
    await bob.line(/^error .*owner/i);

    // Bob leaves: Alice's listing no longer says it is shared.
    bob.send('leave Road trip 2026');
    await bob.line(/^left "Road trip 2026"$/);
    await expect
      .poll(async () => {
        alice.send('playlists');
        return (await alice.line(/^playlist \S+ "Road trip 2026" .*$/))[0];
      })
      .toMatch(/ 5 tracks \(17:45\)$/);
    await quitBoth(alice, bob);
  });

  it('Ctrl+C in the middle of a sync stops both processes quietly, with 0', async () => {
    // Replication in small batches: the sync of 20,000 tracks is a thousand round trips long.
    const alice = startCli('Alice', '--config', SMALL_BATCHES);
    const bob = startCli('Bob', '--config', SMALL_BATCHES);
    await pair(alice, bob);
    const total = 20_000;
    const file = join(tempDir('whatnext-cli-import-'), 'big.txt');
    writeFileSync(file, Array.from({ length: total }, (_, i) => `Artist ${i} – Song ${i} (3:${String(i % 60).padStart(2, '0')})`).join('\n'));
    alice.send('create Big');
    await alice.line(/^created playlist \S+ "Big"$/);
    alice.send(`import Big ${file}`);
    await alice.line(new RegExp(`^imported ${total} tracks into "Big"`));
    alice.send('share Big Bob');
    await bob.line(/^shared playlist \S+ "Big" by Alice$/);
    // Once some tracks are here and more are on their way, the group gets SIGINT, as from a terminal.
    let held = 0;
    for (let asked = 0; asked < 500 && held === 0; asked++) {
      bob.send('playlists');
      held = Number((await bob.line(/^playlist \S+ "Big" (\d+) tracks/))[1]);
    }
    expect(held, 'the sync had not begun, or had ended already').toBeGreaterThan(0);
    expect(held).toBeLessThan(total);
    process.kill(-bob.child.pid!, 'SIGINT');
    expect(await bob.exited).toBe(0);
    expect(bob.stderr()).toBe('');
    alice.send('quit');
    expect(await alice.exited).toBe(0);
    expect(alice.stderr()).toBe('');
  });

  it('lists the plugin packages of the data folder, and enables one for the next start', async () => {
    const dataDir = tempDir('whatnext-cli-');
    installPackage(dataDir, 'whatnext-plugin-greeter', GREETER);
    writeFileSync(join(dataDir, 'plugins.json'), JSON.stringify({ plugins: [{ package: 'whatnext-plugin-greeter', options: { greeting: 'hi' } }] }));
    const first = startCli('Alice', '--data-dir', dataDir);
    first.send('plugins');
    await first.line(/^package whatnext-plugin-greeter@1\.2\.3 disabled$/);
    first.send('enable left-pad');
    await first.line(/^error .*names no package "left-pad"/);
    first.send('enable whatnext-plugin-greeter');
    await first.line(/^package whatnext-plugin-greeter enabled, loads after restart$/);
    first.send('quit');
    expect(await first.exited).toBe(0);

    const second = startCli('Alice', '--data-dir', dataDir);
    second.send('plugins');
    await second.line(/^package whatnext-plugin-greeter@1\.2\.3 loaded as greeter$/);
    second.send('disable whatnext-plugin-greeter');
    await second.line(/^package whatnext-plugin-greeter disabled, unloads after restart$/);
    second.send('quit');
    expect(await second.exited).toBe(0);
  });

  it('lists its commands with `help`, and says so for an unknown one', async () => {
    const alice = startCli('Alice');
    await alice.line(/^type `help` for the commands$/);
    alice.send('help');
    for (const usage of ['invite [method]', 'share <playlist> <peer>', 'import <playlist> <file> [lines|m3u|csv]', 'watch <playlist> | watch off', 'quit'])
      await alice.line(new RegExp(`^  ${usage.replace(/[[\]|()<>]/g, '\\$&')}\\s+\\S`));
    alice.send('help add');
    await alice.line(/^  add <playlist> <Artist – Title \[m:ss\]>  add a track at the end$/);
    alice.send('dance');
    await alice.line(/^error unknown command "dance": `help` lists the commands$/);
    alice.send('playlists');
    await alice.line(/^no playlists yet: create <name>$/);
    alice.send('quit');
    expect(await alice.exited).toBe(0);
  });
});
