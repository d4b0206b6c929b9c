/**
 * Real service processes connect over real WebRTC on loopback, signaled through a real Mosquitto
 * the test starts: invite, approve, reject, time out, a request from a spent invite refused with
 * its reason, 5 MiB, close from each side, hostile payloads in a peer's inbox, playlist
 * replication, and a known peer reconnecting by itself through `reach`.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES, inboxTopic } from '../../../plugins/mqtt';
import { startMosquitto, type Mosquitto } from '../../../plugins/mqtt/testing/mosquitto';
import { playlistsProtocol, type WithPlaylists } from '../../../plugins/rxdb/protocol';
import { eventually, snapshot, songs, watch } from '../../../plugins/rxdb/testing/harness';
import type { ServiceClient } from '../../../core/protocol/client';
import { spawnService, type SpawnedService, type SpawnOptions } from '../testing/spawn';
import { Tracker, connectBroker, invite } from '../testing/flows';

const CONFIG = fileURLToPath(new URL('../testing/fixtures/mqtt.config.ts', import.meta.url));
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface Peer {
  service: SpawnedService<WithPlaylists>;
  client: ServiceClient<WithPlaylists>;
  tracker: Tracker;
  id: string;
}

let broker: Mosquitto | undefined;
const running = new Set<SpawnedService<WithPlaylists>>();
const peers: Record<string, Peer> = {};

async function start(name: string, options: Partial<SpawnOptions> = {}): Promise<Peer> {
  const service = await spawnService<WithPlaylists>({
    name,
    config: CONFIG,
    protocols: [playlistsProtocol],
    ...options,
    env: { WHATNEXT_TEST_MQTT_URL: broker!.url, ...options.env },
  });
  running.add(service);
  void service.exited.then(() => running.delete(service));
  const tracker = new Tracker(service.client as unknown as ServiceClient);
  const id = (await service.client.request('service.status', {})).local.id;
  return (peers[name] = watch({ service, client: service.client, tracker, id }));
}

beforeAll(async () => {
  broker = await startMosquitto();
  await Promise.all([start('Alice'), start('Bob'), start('Carol', { approvalTimeoutMs: 300 })]);
});

afterAll(async () => {
  try {
    const codes = await Promise.all([...running].map((service) => service.stop()));
    expect(codes.every((code) => code === 0)).toBe(true);
  } finally {
    await broker?.stop();
  }
});

async function messages(from: Peer, fromId: string, to: Peer, toId: string, channel: string, payloads: unknown[]) {
  await to.client.request('connections.listen', { connectionId: toId, channel });
  const received: unknown[] = [];
  const all = new Promise<void>((resolve) => {
    const off = to.client.on('connection.message', (m) => {
      if (m.connectionId !== toId || m.channel !== channel) return;
      received.push(m.message);
      if (received.length === payloads.length) {
        off();
        resolve();
      }
    });
  });
  for (const message of payloads) await from.client.request('connections.send', { connectionId: fromId, channel, message: message as never });
  await all;
  return received;
}

describe('services over mqtt', () => {
  const alice = () => peers.Alice!;
  const bob = () => peers.Bob!;

  it('lists the method as connected to the broker', async () => {
    const methods = await alice().client.request('signaling.list', {});
    const mqtt = methods.find((m) => m.name === 'mqtt');
    expect(mqtt).toMatchObject({ plugin: 'mqtt', transports: ['mqtt'] });
    // Listing reports health; the first report may still be `connecting`.
    expect(['connecting', 'connected']).toContain(mqtt!.health?.state);
  });

  it('connects after approval, carries messages both ways and 5 MiB intact, and closes from the inviter', async () => {
    const ids = await connectBroker(alice().tracker, bob().tracker, 'mqtt');
    const mine = (await alice().client.request('connections.list', {})).find((c) => c.id === ids.inviter)!;
    expect(mine).toMatchObject({ method: 'mqtt', transport: 'mqtt', state: 'open', direction: 'outgoing', remote: { id: bob().id, name: 'Bob' } });
    expect(await messages(alice(), ids.inviter, bob(), ids.answerer, 'chat', ['hello Bob'])).toEqual(['hello Bob']);
    expect(await messages(bob(), ids.answerer, alice(), ids.inviter, 'chat', [{ n: 1 }])).toEqual([{ n: 1 }]);

    const big = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    big[big.length - 1] = 7;
    const [received] = await messages(alice(), ids.inviter, bob(), ids.answerer, 'files', [big]);
    expect((received as Uint8Array).byteLength).toBe(big.byteLength);
    expect(sha(received as Uint8Array)).toBe(sha(big));

    await alice().client.request('connections.close', { connectionId: ids.inviter, reason: 'see you' });
    const closed = await bob().tracker.connection(ids.answerer, (c) => c.state === 'closed' || c.state === 'failed');
    expect(closed.closeReason).toMatchObject({ by: 'remote', message: 'see you' });
  });

  it('closes from the answering side too', async () => {
    const ids = await connectBroker(alice().tracker, bob().tracker, 'mqtt');
    await bob().client.request('connections.close', { connectionId: ids.answerer, reason: 'done' });
    const closed = await alice().tracker.connection(ids.inviter, (c) => c.state === 'closed' || c.state === 'failed');
    expect(closed).toMatchObject({ state: 'closed', closeReason: { by: 'remote', message: 'done' } });
  });

  it('a rejected link connects nothing; an unanswered one is rejected when the approval time runs out', async () => {
    const invited = await invite(alice().tracker, 'mqtt');
    const request = await bob().client.request('links.open', { link: invited.invite!.link });
    expect(request).toMatchObject({ state: 'awaiting-approval', method: 'mqtt', remote: { id: alice().id, name: 'Alice' } });
    await bob().client.request('attempts.reject', { attemptId: request.id, reason: 'not today' });
    expect((await bob().tracker.attempt(request.id, (a) => a.state === 'rejected')).error).toMatchObject({ code: 'rejected', message: 'not today' });

    const carol = peers.Carol!;
    const atCarol = await carol.client.request('links.open', { link: invited.invite!.link });
    const expired = await carol.tracker.attempt(atCarol.id, (a) => a.state === 'rejected');
    expect(expired.error).toMatchObject({ code: 'rejected', reason: 'approval-timeout' });
    expect(await carol.client.request('connections.list', {})).toEqual([]);
    await alice().client.request('attempts.cancel', { attemptId: invited.id });
  });

  it('a spent invite reaches the inviter as a request; her refusal reaches the asker with its reason', async () => {
    const invited = await invite(alice().tracker, 'mqtt');
    const first = await bob().client.request('links.open', { link: invited.invite!.link });
    await bob().client.request('attempts.approve', { attemptId: first.id });
    const open = await bob().tracker.attempt(first.id, (a) => a.state === 'open');
    await bob().client.request('connections.close', { connectionId: open.connectionId! });
    const again = await bob().client.request('links.open', { link: invited.invite!.link });
    await bob().client.request('attempts.approve', { attemptId: again.id });
    const incoming = await alice().tracker.anyAttempt((a) => a.role === 'incoming' && a.method === 'mqtt' && a.state === 'awaiting-approval');
    expect(incoming).toMatchObject({ remote: { id: bob().id, name: 'Bob' } });
    await alice().client.request('attempts.reject', { attemptId: incoming.id, reason: 'one is enough' });
    const failed = await bob().tracker.attempt(again.id, (a) => a.state === 'failed');
    expect(failed.error).toMatchObject({ code: 'refused_by_peer', stage: 'signaling' });
    expect(failed.error!.message).toContain('one is enough');
  });

  it('malformed and oversized payloads in an inbox are refused, and the service stays up and connects', async () => {
    let raw: MqttClient | undefined;
    try {
      raw = await connectAsync(broker!.url, { reconnectPeriod: 0 });
      raw.on('error', () => undefined);
      const inbox = inboxTopic('whatnext/v1', bob().id);
      await raw.publishAsync(inbox, '{"v":1,"type":"offer"', { qos: 1 });
      // Over what the method reads, under the packet size it asks the broker for (larger ones
      // the broker does not deliver to it).
      await raw.publishAsync(inbox, Buffer.alloc(MAX_PAYLOAD_BYTES + 100, 0x7b), { qos: 1 });
      // A trickled candidate far over what one may be.
      const candidate = { candidate: `candidate:${'1'.repeat(2000)}`, sdpMid: '0', sdpMLineIndex: 0 };
      await raw.publishAsync(inbox, JSON.stringify({ v: 1, type: 'candidate', from: alice().id, to: bob().id, attempt: 'A'.repeat(22), candidate }), {
        qos: 1,
      });
      // Both were delivered to Bob's session before anything of the connection below (one
      // broker connection, in order): once it is open they have been read.
      const ids = await connectBroker(alice().tracker, bob().tracker, 'mqtt');
      expect(bob().service.stderr()).toMatch(/refused a message from the MQTT broker .*not UTF-8 JSON/);
      expect(bob().service.stderr()).toMatch(new RegExp(`refused a message from the MQTT broker .*${MAX_PAYLOAD_BYTES + 100} bytes is over`));
      expect(bob().service.stderr()).toMatch(/refused a message from the MQTT broker .*not a WhatNext signal: .* at candidate\.candidate/);
      expect((await bob().client.request('service.status', {})).local.id).toBe(bob().id);
      await alice().client.request('connections.close', { connectionId: ids.inviter });
      await bob().tracker.connection(ids.answerer, (c) => c.state === 'closed');
    } finally {
      await raw?.endAsync(true);
    }
  });

  it('replicates a shared playlist both ways', async () => {
    const playlist = await alice().client.request('playlists.create', { name: 'Over MQTT' });
    await alice().client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Alice', 5) });
    await alice().client.request('playlists.share', { playlistId: playlist.id, peerId: bob().id });
    const ids = await connectBroker(alice().tracker, bob().tracker, 'mqtt');
    const converged = (count: number) =>
      eventually(async () => {
        const [a, b] = await Promise.all([snapshot(alice().client, playlist.id), snapshot(bob().client, playlist.id)]);
        expect(b).toEqual(a);
        expect(a.tracks).toHaveLength(count);
        return a;
      });
    expect((await converged(5)).name).toBe('Over MQTT');
    // And back: Bob's edit reaches Alice.
    await bob().client.request('tracks.add', { playlistId: playlist.id, tracks: songs('Bob', 2) });
    expect((await converged(7)).tracks.filter((t) => t.startsWith('Bob ')).length).toBe(2);
    await alice().client.request('connections.close', { connectionId: ids.inviter });
    await bob().tracker.connection(ids.answerer, (c) => c.state === 'closed');
  });
});

describe('a known peer over mqtt', () => {
  it('reconnects by itself after a restart, through reach', { timeout: 120_000 }, async () => {
    const alice = peers.Alice!;
    let bob = peers.Bob!;
    const ids = await connectBroker(alice.tracker, bob.tracker, 'mqtt');
    const dir = bob.service.dataDir;
    expect(await bob.service.stop()).toBe(0);
    await alice.tracker.connection(ids.inviter, (c) => c.state === 'closed');
    bob = await start('Bob', { dataDir: dir });
    const [atAlice, atBob] = await Promise.all([
      alice.tracker.anyConnection((c) => c.remote.id === bob.id && c.state === 'open' && c.id !== ids.inviter),
      bob.tracker.anyConnection((c) => c.remote.id === alice.id && c.state === 'open'),
    ]);
    expect(atAlice.method).toBe('mqtt');
    const reconnects = [...alice.tracker.attempts.values(), ...bob.tracker.attempts.values()].filter((a) => a.role === 'reconnect' && a.state === 'open');
    expect(reconnects.map((a) => a.connectionId)).toContain(atBob.direction === 'outgoing' ? atBob.id : atAlice.id);
  });
});
