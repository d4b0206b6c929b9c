/**
 * Two (and three) real service processes connect over real WebRTC on loopback, through each
 * signaling method: manual copy-paste (simple-peer) and a PeerJS broker the test starts.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startBroker, type Broker } from '../../../plugins/peerjs';
import { spawnService, type SpawnedService, type SpawnOptions } from '../testing/spawn';
import { Tracker, connectBroker, connectManual, invite, messages, type Connected } from '../testing/flows';
import type { ConnectionSummary } from '../../../core/protocol';

const CONFIG = fileURLToPath(new URL('../testing/fixtures/p2p.config.ts', import.meta.url));
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let broker: Broker;
const services: SpawnedService[] = [];
const peers: Record<string, Tracker> = {};

async function start(name: string, options: Partial<SpawnOptions> = {}): Promise<Tracker> {
  const service = await spawnService({
    name,
    config: CONFIG,
    ...options,
    env: { WHATNEXT_TEST_BROKER_PORT: String(broker.port), WHATNEXT_REPORT_HANDLES: '1', ...options.env },
  });
  services.push(service);
  return (peers[name] = new Tracker(service.client));
}

beforeAll(async () => {
  broker = await startBroker({ port: 0 });
  await Promise.all([start('Alice'), start('Bob'), start('Carol', { approvalTimeoutMs: 300 }), start('Dave')]);
});

afterAll(async () => {
  const stopping = services.map(async (service) => {
    const began = performance.now();
    const code = await service.stop();
    return { code, ms: performance.now() - began, handles: /\[service handles\] (.*)/.exec(service.stderr())?.[1] };
  });
  const results = await Promise.all(stopping);
  await broker?.close();
  console.info('service exits:', results.map((r) => `${r.code} after ${r.ms.toFixed(0)} ms, open: ${r.handles}`).join('; '));
  for (const result of results) {
    expect(result.code).toBe(0);
    const handles = JSON.parse(result.handles ?? '[]') as string[];
    expect(handles.filter((h) => !['PipeWrap', 'TTYWrap'].includes(h))).toEqual([]);
  }
});

const methods: [string, (a: Tracker, b: Tracker) => Promise<Connected>][] = [
  ['manual', connectManual],
  ['peerjs', (a, b) => connectBroker(a, b, 'peerjs')],
];

describe.each(methods)('over %s', (method, connect) => {
  const alice = () => peers.Alice!;
  const bob = () => peers.Bob!;

  it('connects after approval and carries messages both ways on two channels, and 5 MiB intact', async () => {
    const ids = await connect(alice(), bob());
    const [aSide, bSide] = await Promise.all([alice().client.request('connections.list', {}), bob().client.request('connections.list', {})]);
    const mine = aSide.find((c) => c.id === ids.inviter)!;
    expect(mine).toMatchObject({ method, state: 'open', direction: 'outgoing', remote: { name: 'Bob' } });
    expect(mine.transport).toBe(method === 'manual' ? 'simple-peer' : 'peerjs');
    if (method === 'manual') {
      // simple-peer has a compact form of its signals: the codes are the short ones.
      expect(ids.codes!.invite).toMatch(/^wno2\.[\w-]{1,195}$/);
      expect(ids.codes!.reply).toMatch(/^wna2\.[\w-]{1,195}$/);
    }
    expect(bSide.find((c) => c.id === ids.answerer)!.remote.name).toBe('Alice');
    // On loopback both ends are host candidates: a direct path, as the transport reports it.
    for (const [side, id] of [
      [alice(), ids.inviter],
      [bob(), ids.answerer],
    ] as const) {
      const reported = await side.connection(id, (c) => c.stats.path !== undefined);
      expect(reported.stats.path).toEqual({ kind: 'direct', local: 'host', remote: 'host' });
    }

    expect(await messages(alice(), ids.inviter, bob(), ids.answerer, 'chat', ['hello Bob', { n: 1 }])).toEqual(['hello Bob', { n: 1 }]);
    expect(await messages(bob(), ids.answerer, alice(), ids.inviter, 'chat', ['hello Alice'])).toEqual(['hello Alice']);
    expect(await messages(bob(), ids.answerer, alice(), ids.inviter, 'presence', [{ typing: true }])).toEqual([{ typing: true }]);

    const big = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    big[big.length - 1] = 7;
    const [received] = await messages(alice(), ids.inviter, bob(), ids.answerer, 'files', [big]);
    expect(received).toBeInstanceOf(Uint8Array);
    expect((received as Uint8Array).byteLength).toBe(big.byteLength);
    expect(sha(received as Uint8Array)).toBe(sha(big));

    await alice().client.request('connections.close', { connectionId: ids.inviter, reason: 'see you' });
    const closed = await bob().connection(ids.answerer, (c) => c.state === 'closed' || c.state === 'failed');
    expect(closed.closeReason).toMatchObject({ by: 'remote', message: 'see you' });
  });

  it('closes from the answering side too, and one close leaves other connections alone', async () => {
    const first = await connect(alice(), bob());
    const second = await connect(alice(), peers.Dave!);
    await bob().client.request('connections.close', { connectionId: first.answerer, reason: 'done' });
    const closed: ConnectionSummary = await alice().connection(first.inviter, (c) => c.state === 'closed' || c.state === 'failed');
    expect(closed).toMatchObject({ state: 'closed', closeReason: { by: 'remote', message: 'done' } });
    const list = await alice().client.request('connections.list', {});
    expect(list.find((c) => c.id === second.inviter)!.state).toBe('open');
    expect(await messages(alice(), second.inviter, peers.Dave!, second.answerer, 'chat', ['still here'])).toEqual(['still here']);
    await alice().client.request('connections.close', { connectionId: second.inviter });
    await peers.Dave!.connection(second.answerer, (c) => c.state === 'closed');
  });

  it('a rejected request connects nothing', async () => {
    const before = (await bob().client.request('connections.list', {})).length;
    const invited = await invite(alice(), method);
    const request = await bob().client.request('links.open', { link: invited.invite!.link });
    expect(request).toMatchObject({ state: 'awaiting-approval', method, remote: { name: 'Alice' } });
    await bob().client.request('attempts.reject', { attemptId: request.id, reason: 'not today' });
    const rejected = await bob().attempt(request.id, (a) => a.state === 'rejected');
    expect(rejected.error).toMatchObject({ code: 'rejected', message: 'not today' });
    expect((await bob().client.request('connections.list', {})).length).toBe(before);
    await alice().client.request('attempts.cancel', { attemptId: invited.id });
  });

  it('an unanswered request is rejected when the approval time runs out', async () => {
    const carol = peers.Carol!;
    const invited = await invite(alice(), method);
    const request = await carol.client.request('links.open', { link: invited.invite!.link });
    const expired = await carol.attempt(request.id, (a) => a.state === 'rejected');
    expect(expired.error).toMatchObject({ code: 'rejected', reason: 'approval-timeout' });
    expect(expired.error!.message).toMatch(/^no answer within \d+ s$/);
    expect(await carol.client.request('connections.list', {})).toEqual([]);
    await alice().client.request('attempts.cancel', { attemptId: invited.id });
  });
});

/** Bob uses Alice's peerjs invite link, disconnects, then uses it again: the spent token makes
 * the second use a request Alice is asked about (she knows Bob, but a link is no reconnection). */
async function reuseInvite(alice: Tracker, bob: Tracker) {
  const invited = await invite(alice, 'peerjs');
  const first = await bob.client.request('links.open', { link: invited.invite!.link });
  await bob.client.request('attempts.approve', { attemptId: first.id });
  const open = await bob.attempt(first.id, (a) => a.state === 'open');
  await bob.client.request('connections.close', { connectionId: open.connectionId! });
  const atAlice = await alice.attempt(invited.id, (a) => a.state === 'open');
  await alice.connection(atAlice.connectionId!, (c) => c.state === 'closed');
  const again = await bob.client.request('links.open', { link: invited.invite!.link });
  await bob.client.request('attempts.approve', { attemptId: again.id });
  const incoming = await alice.anyAttempt((a) => a.role === 'incoming' && a.state === 'awaiting-approval');
  return { open, again, incoming };
}

describe('peerjs: a request without a valid invite needs the invited side to approve', () => {
  it('the used invite link reaches Alice as a request; her rejection reaches Bob', async () => {
    const [alice, bob] = [peers.Alice!, peers.Bob!];
    const { open, again, incoming } = await reuseInvite(alice, bob);
    expect(incoming).toMatchObject({ method: 'peerjs', remote: { name: 'Bob' } });
    await alice.client.request('attempts.reject', { attemptId: incoming.id, reason: 'one is enough' });
    const failed = await bob.attempt(again.id, (a) => a.state === 'failed');
    expect(failed.error).toMatchObject({ code: 'refused_by_peer', stage: 'signaling' });
    expect(failed.error!.message).toContain('one is enough');
    expect(open.state).toBe('open');
  });

  it("once she approves it opens: the proof made for the link's spent nonce is set aside and the pipe finishes the handshake", async () => {
    const [alice, bob] = [peers.Alice!, peers.Bob!];
    const { open, again, incoming } = await reuseInvite(alice, bob);
    await alice.client.request('attempts.approve', { attemptId: incoming.id });
    const second = await bob.attempt(again.id, (a) => a.state === 'open');
    expect(second.remote.id).toBe((await alice.client.request('service.status', {})).local.id);
    expect(second.connectionId).not.toBe(open.connectionId);
    await bob.client.request('connections.close', { connectionId: second.connectionId! });
  });
});

describe('a malformed link', () => {
  it('is refused with a reason and connects nothing', async () => {
    const bob = peers.Bob!;
    const error = await bob.client.request('links.open', { link: 'whtnxt://connect?v=1&via=peerjs&h=127.0.0.1&p=99999' }).catch((e: unknown) => e);
    expect((error as { info: { code: string } }).info.code).toBe('link_invalid');
  });
});
