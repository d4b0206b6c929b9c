/**
 * One connection per pair of peers: two peers that dial each other at the same moment end with
 * exactly one connection, the same one on both sides; a peer never connects to itself; a link
 * from a peer already connected says so. Real ConnectionManagers and connections (handshake,
 * close handshake) over in-memory pipes, through a broker-like method that can dial a peer by
 * its id.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerInfo } from '../contracts/peer';
import type { SignalingMethod, SignalingServices } from '../contracts/signaling';
import { LinkError } from '../errors';
import { encodeLink } from '../link';
import { definePlugin } from '../plugin';
import type { AttemptSummary, ConnectionSummary } from '../protocol/shapes';
import { createMemoryPipePair, type MemoryPipe } from '../testing/memory-transport';
import { ConnectionManager } from './connections';
import { PluginHost } from './host';

const ALICE: PeerInfo = { id: 'aaaaaaaaaaaaaaaaaaaaaaaaaa', name: 'Alice' };
const BOB: PeerInfo = { id: 'bbbbbbbbbbbbbbbbbbbbbbbbbb', name: 'Bob' };

/** A broker in one process: each peer listens on it by id; answering a link dials that peer. */
function switchboard() {
  const listening = new Map<string, SignalingServices>();
  const pipes: MemoryPipe[] = [];
  const method = (local: PeerInfo): SignalingMethod => ({
    name: 'board',
    description: 'test broker',
    transports: [],
    parseLink: (params) => ({ method: 'board', remote: { id: params.id! }, params }),
    invite: () => Promise.reject(new Error('not in this test')),
    answer: (target, ctx) =>
      new Promise((resolve, reject) => {
        const remote = listening.get(target.remote.id!);
        if (!remote) return reject(new Error(`${target.remote.id} is not listening`));
        remote.incoming({
          method: 'board',
          remote: { id: local.id, name: local.name },
          accept: async (theirs) => {
            const { a, b } = createMemoryPipePair(ctx.sink, theirs.sink);
            pipes.push(a, b);
            resolve(a);
            return b;
          },
          reject: (reason) => reject(new Error(reason)),
        });
      }),
    listen: (services) => void listening.set(services.local.id, services),
  });
  return {
    /** Every pipe made so far: a test freezes them to make a path go dead without a word. */
    pipes,
    plugin: (local: PeerInfo) => definePlugin({ name: 'board', version: '1.0.0', api: '^2.0.0', setup: (ctx) => ctx.registerSignaling(method(local)) })(),
  };
}

const started: { host: PluginHost; manager: ConnectionManager }[] = [];
afterEach(async () => {
  for (const { host, manager } of started.splice(0)) {
    await manager.stop();
    await host.stop();
  }
});

/** A peer on the board whose user approves every request. */
async function peer(board: ReturnType<typeof switchboard>, local: PeerInfo) {
  const host = new PluginHost({ plugins: [board.plugin(local)], local });
  await host.start();
  const manager = new ConnectionManager(host, { livenessProbeMs: 300 });
  await manager.start();
  started.push({ host, manager });
  const attempts: AttemptSummary[] = [];
  manager.on('attempt', (attempt) => {
    attempts.push(attempt);
    if (attempt.state === 'awaiting-approval') queueMicrotask(() => manager.approve(attempt.id));
  });
  return { manager, attempts };
}

const linkTo = (remote: PeerInfo) => encodeLink({ version: 1, via: 'board', token: 'tttttttt', params: { id: remote.id } });

/** Resolves once every attempt of `manager` has opened, every connection is open, and there are
 * `count` of them. */
/** Alice and Bob connected; then Bob's old connection stops carrying anything (its pipes stop
 * reading, and nothing says so) and Bob starts again with the same id: `bobAgain`. */
async function bobBackWhileOldHangs() {
  const board = switchboard();
  const alice = await peer(board, ALICE);
  const bob = await peer(board, BOB);
  await alice.manager.openLink(linkTo(BOB));
  await Promise.all([settled(alice.manager, 1), settled(bob.manager, 1)]);
  const [old] = alice.manager.connections();
  for (const pipe of board.pipes) pipe.pauseReading();
  return { board, alice, old, bobAgain: await peer(board, BOB) };
}

function settled(manager: ConnectionManager, count: number): Promise<void> {
  const quiet = () => {
    const connections = manager.connections();
    return (
      manager.attempts().every((a) => a.state === 'open') && connections.length === count && connections.every((c: ConnectionSummary) => c.state === 'open')
    );
  };
  return new Promise((resolve) => {
    if (quiet()) return resolve();
    const offs = [manager.on('attempt', check), manager.on('connection', check)];
    function check() {
      // Events fire before the manager forgets what ended: look once they are through.
      queueMicrotask(() => {
        if (!quiet()) return;
        for (const off of offs) off();
        resolve();
      });
    }
  });
}

describe('one connection per pair of peers', () => {
  it('keeps exactly one connection, the same on both sides, when both dial at once (50 times)', async () => {
    const board = switchboard();
    const alice = await peer(board, ALICE);
    const bob = await peer(board, BOB);
    const closeCodes = new Set<string>();
    alice.manager.on('connection', (c) => c.closeReason && closeCodes.add(c.closeReason.code));

    for (let round = 0; round < 50; round++) {
      const [fromAlice, fromBob] = await Promise.all([alice.manager.openLink(linkTo(BOB)), bob.manager.openLink(linkTo(ALICE))]);
      await Promise.all([settled(alice.manager, 1), settled(bob.manager, 1)]);

      const [atAlice, ...moreAtAlice] = alice.manager.connections();
      const [atBob, ...moreAtBob] = bob.manager.connections();
      expect(moreAtAlice, `round ${round}`).toEqual([]);
      expect(moreAtBob, `round ${round}`).toEqual([]);
      // The same connection: what one side sends on it, the other receives on its own.
      const received = new Promise((resolve) => bob.manager.connection(atBob!.id).channel('test').onMessage(resolve));
      void alice.manager.connection(atAlice!.id).channel('test').send({ round });
      await expect(received).resolves.toEqual({ round });
      // Both users' attempts ended open, on the connection that stayed: none shows a failure.
      const ends = (attempts: AttemptSummary[], id: string) => attempts.filter((a) => a.id === id).at(-1);
      expect(ends(alice.attempts, fromAlice.id)).toMatchObject({ state: 'open', connectionId: atAlice!.id });
      expect(ends(bob.attempts, fromBob.id)).toMatchObject({ state: 'open', connectionId: atBob!.id });

      await alice.manager.close(atAlice!.id);
      await Promise.all([settled(alice.manager, 0), settled(bob.manager, 0)]);
      expect(bob.manager.connections()).toEqual([]);
    }
    // The other connection of each round went away as a duplicate, not as an error.
    expect([...closeCodes].sort()).toEqual(['closed', 'duplicate']);
  });

  it('refuses a link to ourselves before anyone is asked', async () => {
    const board = switchboard();
    const alice = await peer(board, ALICE);
    const rejected: string[] = [];
    alice.manager.on('link-rejected', ({ error }) => rejected.push(`${error.code}/${error.reason}: ${error.message}`));
    await expect(alice.manager.openLink(linkTo(ALICE))).rejects.toThrow(LinkError);
    expect(rejected).toEqual([expect.stringMatching(/^link_invalid\/self: This invite is your own/)]);
    expect(alice.attempts).toEqual([]);
  });

  it('says a link comes from a peer already connected, and starts nothing', async () => {
    const board = switchboard();
    const alice = await peer(board, ALICE);
    const bob = await peer(board, BOB);
    await alice.manager.openLink(linkTo(BOB));
    await Promise.all([settled(alice.manager, 1), settled(bob.manager, 1)]);
    const before = alice.attempts.length;
    await expect(alice.manager.openLink(linkTo(BOB))).rejects.toMatchObject({
      code: 'link_invalid',
      reason: 'already-connected',
      message: 'You are already connected to Bob: use the open connection.',
    });
    expect(alice.attempts).toHaveLength(before);
    expect(alice.manager.connections()).toHaveLength(1);
  });

  it('a peer that comes back while its old connection hangs gets through: the old one, silent, goes', async () => {
    // Bob's machine froze: nothing more comes through, and nothing says so (until the dead-peer
    // timeout, much later). He starts again, with the same id.
    const { board, alice, old, bobAgain } = await bobBackWhileOldHangs();
    const ended = new Promise<ConnectionSummary>((resolve) => alice.manager.on('connection', (c) => c.id === old!.id && c.state === 'closed' && resolve(c)));

    const fromBob = await bobAgain.manager.openLink(linkTo(ALICE));
    const closed = await ended;
    await Promise.all([settled(alice.manager, 1), settled(bobAgain.manager, 1)]);
    expect(closed.closeReason).toMatchObject({ code: 'peer-timeout', message: expect.stringContaining('no longer answered') });
    const [now] = alice.manager.connections();
    expect(now!.id).not.toBe(old!.id);
    expect(bobAgain.attempts.filter((a) => a.id === fromBob.id).at(-1)).toMatchObject({ state: 'open' });

    // And a link to a peer whose connection hangs is let through the same way.
    for (const pipe of board.pipes) pipe.pauseReading();
    const bobThird = await peer(board, BOB);
    await alice.manager.openLink(linkTo(BOB));
    await Promise.all([settled(alice.manager, 1), settled(bobThird.manager, 1)]);
    expect(alice.manager.connections()[0]!.id).not.toBe(now!.id);
  });

  it('a peer that comes back while its old connection hangs is served at once: the new connection carries traffic while the old one is probed', async () => {
    // Bob moved: the old path carries nothing more, and nothing says so. He dials again.
    const { alice, old, bobAgain } = await bobBackWhileOldHangs();
    const heard = new Promise<{ oldWas: string | undefined }>((resolve) =>
      bobAgain.manager.on('connection', (c) => {
        if (c.state !== 'open') return;
        bobAgain.manager
          .connection(c.id)
          .channel('test')
          .onMessage(() => resolve({ oldWas: alice.manager.connections().find((x) => x.id === old!.id)?.state }));
      }),
    );
    alice.manager.on('connection', (c) => {
      if (c.id !== old!.id && c.state === 'open') void alice.manager.connection(c.id).channel('test').send({ hello: 'again' });
    });
    const ended = new Promise<ConnectionSummary>((resolve) => alice.manager.on('connection', (c) => c.id === old!.id && c.state === 'closed' && resolve(c)));

    await bobAgain.manager.openLink(linkTo(ALICE));
    // Alice's message on the new connection reached Bob while her old one was still open here.
    await expect(heard).resolves.toEqual({ oldWas: 'open' });
    // Then the old one, silent, went; the new one stays, the only one.
    expect((await ended).closeReason).toMatchObject({ code: 'peer-timeout' });
    await Promise.all([settled(alice.manager, 1), settled(bobAgain.manager, 1)]);
    expect(alice.manager.connections()[0]!.id).not.toBe(old!.id);
  });
});
