/** The headless CLI peer: two of them connect through manual signaling by stdin/stdout. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/temp-dirs';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
const CONFIG = fileURLToPath(new URL('../testing/fixtures/p2p.config.ts', import.meta.url));

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

function startCli(name: string): CliPeer {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--name', name, '--data-dir', tempDir('whatnext-cli-'), '--config', CONFIG], {
    stdio: 'pipe',
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

describe('npm run peer', () => {
  it('prints its peer id, connects to another CLI peer by pasting codes, prints the path, carries messages, and quits with 0', async () => {
    const alice = startCli('Alice');
    const bob = startCli('Bob');
    const [, aliceId] = await alice.line(/^peer Alice ([0-9a-z]{26})$/);
    await bob.line(/^peer Bob [0-9a-z]{26}$/);
    // Its service runs in a process of its own, with least privilege.
    expect(alice.stderr()).toContain("[info] least privilege (Node's permission model): may write its data folder, and not write elsewhere");

    alice.send('invite manual');
    const [, inviteId, link] = await alice.line(/^invite (\S+) (whtnxt:\/\/connect\?\S+)$/);
    bob.send(link!);
    const [, requestId, who] = await bob.line(/^request (\S+) (.+) via manual/);
    expect(who).toContain(aliceId);
    bob.send(`approve ${requestId}`);
    const [, code] = await bob.line(/^show \S+ Send this reply code back: (wna1\.\S+)$/);
    alice.send(`answer ${inviteId} ${code}`);

    const [, aliceConnection] = await alice.line(/^connection (\S+) open Bob/);
    const [, bobConnection] = await bob.line(/^connection (\S+) open Alice/);
    // The path each side's connection takes, from its selected ICE candidate pair: on loopback,
    // both ends are host candidates.
    await alice.line(new RegExp(`^path ${aliceConnection} direct \\(host ↔ host\\)$`));
    await bob.line(new RegExp(`^path ${bobConnection} direct \\(host ↔ host\\)$`));
    bob.send(`send ${bobConnection} chat warming up`); // makes Bob listen on "chat" too
    alice.send(`send ${aliceConnection} chat hello from Alice`);
    await bob.line(/^message \S+ chat hello from Alice$/);

    alice.send('quit');
    bob.send('quit');
    expect(await alice.exited).toBe(0);
    expect(await bob.exited).toBe(0);
  });
});
