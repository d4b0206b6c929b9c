/**
 * Pair once, stay connected: two real service processes paired once through a real PeerJS
 * broker reconnect by themselves after either restarts (gracefully, or killed), and a person's
 * "Disconnect" and the per-peer switch are respected. Over real WebRTC on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startBroker, type Broker } from '../../../plugins/peerjs';
import { spawnService, type SpawnedService } from '../testing/spawn';
import { Tracker, connectBroker } from '../testing/flows';
import type { ConnectionSummary } from '../../../core/protocol';

const CONFIG = fileURLToPath(new URL('../testing/fixtures/p2p.config.ts', import.meta.url));

let broker: Broker;
const running = new Set<SpawnedService>();

async function start(name: string, dataDir?: string): Promise<{ service: SpawnedService; peer: Tracker }> {
  const service = await spawnService({
    name,
    config: CONFIG,
    ...(dataDir ? { dataDir } : {}),
    env: { WHATNEXT_TEST_BROKER_PORT: String(broker.port) },
  });
  running.add(service);
  void service.exited.then(() => running.delete(service));
  return { service, peer: new Tracker(service.client) };
}

/** The open connection `peer` has to `remoteId`, once there is one. */
function openTo(peer: Tracker, remoteId: string, except?: string): Promise<ConnectionSummary> {
  return peer.anyConnection((c) => c.remote.id === remoteId && c.state === 'open' && c.id !== except);
}

beforeAll(async () => {
  broker = await startBroker({ port: 0 });
});

afterAll(async () => {
  const codes = await Promise.all([...running].map((service) => service.stop()));
  await broker?.close();
  expect(codes.every((code) => code === 0)).toBe(true);
});

describe('known peers reconnect by themselves', () => {
  // Four service starts and three connections: more than the default minute on a loaded machine.
  it('after a restart of either side, a kill -9 included; a Disconnect holds; the switch is kept', { timeout: 180_000 }, async () => {
    const alice = await start('Alice');
    let bob = await start('Bob');
    const aliceId = (await alice.service.client.request('service.status', {})).local.id;
    const bobId = (await bob.service.client.request('service.status', {})).local.id;
    const paired = await connectBroker(alice.peer, bob.peer);
    expect((await bob.service.client.request('peers.known', {})).find((p) => p.id === aliceId)).toMatchObject({ autoConnect: true });

    // Bob restarts: when he is back, one of them dials the other, who accepts a known peer
    // reconnecting.
    const began = performance.now();
    const bobDir = bob.service.dataDir;
    expect(await bob.service.stop()).toBe(0);
    await alice.peer.connection(paired.inviter, (c) => c.state === 'closed');
    bob = await start('Bob', bobDir);
    const [atAlice, atBob] = await Promise.all([openTo(alice.peer, bobId, paired.inviter), openTo(bob.peer, aliceId)]);
    console.info(`graceful restart: open again ${(performance.now() - began).toFixed(0)} ms after the stop began`);
    // Whoever dialled (Bob at his start, or Alice on her next round), it was a reconnection.
    const reconnects = [...alice.peer.attempts.values(), ...bob.peer.attempts.values()].filter((a) => a.role === 'reconnect' && a.state === 'open');
    expect(reconnects.map((a) => a.connectionId)).toContain(atBob.direction === 'outgoing' ? atBob.id : atAlice.id);

    // Bob is killed: Alice's connection hangs (nothing closes it) until Bob, back, dials her.
    bob.service.child.kill('SIGKILL');
    await bob.service.exited;
    const killedAt = performance.now();
    bob = await start('Bob', bobDir);
    const [again] = await Promise.all([openTo(alice.peer, bobId, atAlice.id), openTo(bob.peer, aliceId)]);
    console.info(`kill -9 and restart: open again ${(performance.now() - killedAt).toFixed(0)} ms after the kill`);
    expect(again.id).not.toBe(atAlice.id);
    const old = await alice.peer.connection(atAlice.id, (c) => c.state === 'closed');
    // Closed here by the liveness probe the new connection set off, not by the 15 s watchdog.
    expect(old.closeReason).toMatchObject({ code: 'peer-timeout', by: 'local', message: expect.stringContaining('no longer answered') });
    expect((await alice.service.client.request('connections.list', {})).filter((c) => c.remote.id === bobId)).toHaveLength(1);

    // Alice disconnects: neither side dials again by itself. `peers.update` runs a sweep of the
    // known peers before it answers (a dial would be an attempt event before the answer).
    await alice.service.client.request('connections.close', { connectionId: again.id, reason: 'closed by the user' });
    await Promise.all([
      alice.peer.connection(again.id, (c) => c.state === 'closed'),
      bob.peer.anyConnection((c) => c.remote.id === aliceId && c.state === 'closed'),
    ]);
    const dialled = [...alice.peer.attempts.values(), ...bob.peer.attempts.values()].length;
    await alice.service.client.request('peers.update', { peerId: bobId, autoConnect: true });
    await bob.service.client.request('peers.update', { peerId: aliceId, autoConnect: true });
    expect([...alice.peer.attempts.values(), ...bob.peer.attempts.values()].length).toBe(dialled);
    expect(await alice.service.client.request('connections.list', {})).toEqual([]);

    // "Reconnect" on Alice's side brings Bob back; the per-peer switch is stored.
    await alice.service.client.request('peers.reconnect', { peerId: bobId });
    const [restored] = await Promise.all([openTo(alice.peer, bobId, again.id), openTo(bob.peer, aliceId, again.id)]);
    expect(await alice.service.client.request('peers.update', { peerId: bobId, autoConnect: false })).toMatchObject({ id: bobId, autoConnect: false });
    expect((await alice.service.client.request('peers.known', {})).find((p) => p.id === bobId)?.autoConnect).toBe(false);

    // Bob disconnects; Alice presses Reconnect; Bob, who disconnected, is asked, and says no.
    // Alice's service then leaves him be: it does not ask him again by itself.
    const current = (await bob.service.client.request('connections.list', {})).find((c) => c.remote.id === aliceId)!;
    await bob.service.client.request('connections.close', { connectionId: current.id, reason: 'closed by the user' });
    await alice.peer.connection(restored.id, (c) => c.state === 'closed');
    const asked = bob.peer.anyAttempt((a) => a.role === 'incoming' && a.remote.id === aliceId && a.state === 'awaiting-approval');
    const again2 = await alice.service.client.request('peers.reconnect', { peerId: bobId });
    await bob.service.client.request('attempts.reject', { attemptId: (await asked).id, reason: 'not now' });
    const refused = await alice.peer.attempt(again2.id, (a) => a.state === 'failed');
    expect(refused.error).toMatchObject({ code: 'refused_by_peer', message: expect.stringContaining('not now') });
    const before = alice.peer.attempts.size;
    await alice.service.client.request('peers.update', { peerId: bobId, autoConnect: true });
    expect(alice.peer.attempts.size).toBe(before);
  });
});
