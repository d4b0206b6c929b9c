/**
 * The cases two real services signaling through a real Mosquitto must pass, wherever they run:
 * on loopback (host/service/test/mqtt.test.ts) and across the network lab's NAT routers with the
 * broker on the public segment (host/service/test/lab-mqtt.test.ts). Invite and approve, 5 MiB
 * each way, close from each side, reject, time out, a spent invite refused with its reason,
 * hostile payloads in an inbox, and playlist replication. Call `mqttCases` inside a `describe`;
 * it registers one `it` per case.
 */
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES, inboxTopic } from '../../../plugins/mqtt';
import type { WithPlaylists } from '../../../plugins/rxdb/protocol';
import { eventually, snapshot, songs } from '../../../plugins/rxdb/testing/harness';
import type { ServiceClient } from '../../../core/protocol/client';
import { Tracker, connectBroker, invite, messages as exchange } from './flows';
import type { SpawnedService } from './spawn';

export interface MqttPeer {
  service: SpawnedService<WithPlaylists>;
  client: ServiceClient<WithPlaylists>;
  tracker: Tracker;
  id: string;
}

export interface MqttCasesContext {
  /** Alice and Bob, and Carol, whose service rejects a request it has not approved within a
   * short approval time. Read when a case runs (they are started in `beforeAll`). */
  peers(): { alice: MqttPeer; bob: MqttPeer; carol: MqttPeer };
  /** Publishes `payloads` to `topic` on the test's broker as an outsider's own MQTT client
   * would, resolving once the broker has taken each (QoS 1). */
  publishRaw(topic: string, payloads: readonly Uint8Array[]): Promise<void>;
  /** Bound on each case (default the runner's). */
  timeoutMs?: number;
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const messages = (from: MqttPeer, fromId: string, to: MqttPeer, toId: string, channel: string, payloads: unknown[]) =>
  exchange(from.tracker, fromId, to.tracker, toId, channel, payloads);

/** 5 MiB, not all zeros, its last byte set (a truncation shows). */
function fiveMiB(seed: number): Uint8Array {
  const big = new Uint8Array(5 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096 + seed) & 0xff;
  big[big.length - 1] = 7;
  return big;
}

async function sendsIntact(from: MqttPeer, fromId: string, to: MqttPeer, toId: string, big: Uint8Array): Promise<void> {
  const [received] = await messages(from, fromId, to, toId, 'files', [big]);
  expect((received as Uint8Array).byteLength).toBe(big.byteLength);
  expect(sha(received as Uint8Array)).toBe(sha(big));
}

export function mqttCases(context: MqttCasesContext): void {
  const alice = () => context.peers().alice;
  const bob = () => context.peers().bob;
  const carol = () => context.peers().carol;
  const timeout = context.timeoutMs;

  it('lists the method as connected to the broker', { timeout }, async () => {
    const methods = await alice().client.request('signaling.list', {});
    const mqtt = methods.find((m) => m.name === 'mqtt');
    expect(mqtt).toMatchObject({ plugin: 'mqtt', transports: ['mqtt'] });
    // Listing reports health; the first report may still be `connecting`.
    expect(['connecting', 'connected']).toContain(mqtt!.health?.state);
  });

  it('connects after approval, carries messages and 5 MiB intact each way, and closes from the inviter', { timeout }, async () => {
    const ids = await connectBroker(alice().tracker, bob().tracker, 'mqtt');
    const mine = (await alice().client.request('connections.list', {})).find((c) => c.id === ids.inviter)!;
    expect(mine).toMatchObject({ method: 'mqtt', transport: 'mqtt', state: 'open', direction: 'outgoing', remote: { id: bob().id, name: 'Bob' } });
    expect(await messages(alice(), ids.inviter, bob(), ids.answerer, 'chat', ['hello Bob'])).toEqual(['hello Bob']);
    expect(await messages(bob(), ids.answerer, alice(), ids.inviter, 'chat', [{ n: 1 }])).toEqual([{ n: 1 }]);

    await sendsIntact(alice(), ids.inviter, bob(), ids.answerer, fiveMiB(0));
    await sendsIntact(bob(), ids.answerer, alice(), ids.inviter, fiveMiB(1));

    await alice().client.request('connections.close', { connectionId: ids.inviter, reason: 'see you' });
    const closed = await bob().tracker.connection(ids.answerer, (c) => c.state === 'closed' || c.state === 'failed');
    expect(closed.closeReason).toMatchObject({ by: 'remote', message: 'see you' });
  });

  it('closes from the answering side too', { timeout }, async () => {
    const ids = await connectBroker(alice().tracker, bob().tracker, 'mqtt');
    await bob().client.request('connections.close', { connectionId: ids.answerer, reason: 'done' });
    const closed = await alice().tracker.connection(ids.inviter, (c) => c.state === 'closed' || c.state === 'failed');
    expect(closed).toMatchObject({ state: 'closed', closeReason: { by: 'remote', message: 'done' } });
  });

  it('a rejected link connects nothing; an unanswered one is rejected when the approval time runs out', { timeout }, async () => {
    const invited = await invite(alice().tracker, 'mqtt');
    const request = await bob().client.request('links.open', { link: invited.invite!.link });
    expect(request).toMatchObject({ state: 'awaiting-approval', method: 'mqtt', remote: { id: alice().id, name: 'Alice' } });
    await bob().client.request('attempts.reject', { attemptId: request.id, reason: 'not today' });
    expect((await bob().tracker.attempt(request.id, (a) => a.state === 'rejected')).error).toMatchObject({ code: 'rejected', message: 'not today' });

    const atCarol = await carol().client.request('links.open', { link: invited.invite!.link });
    const expired = await carol().tracker.attempt(atCarol.id, (a) => a.state === 'rejected');
    expect(expired.error).toMatchObject({ code: 'rejected', reason: 'approval-timeout' });
    expect(await carol().client.request('connections.list', {})).toEqual([]);
    await alice().client.request('attempts.cancel', { attemptId: invited.id });
  });

  it('a spent invite reaches the inviter as a request; her refusal reaches the asker with its reason', { timeout }, async () => {
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

  it('malformed and oversized payloads in an inbox are refused, and the service stays up and connects', { timeout }, async () => {
    const inbox = inboxTopic('whatnext/v1', bob().id);
    // Over what the method reads, under the packet size it asks the broker for (larger ones the
    // broker does not deliver to it).
    // A trickled candidate far over what one may be.
    const candidate = { candidate: `candidate:${'1'.repeat(2000)}`, sdpMid: '0', sdpMLineIndex: 0 };
    const oversizedCandidate = JSON.stringify({ v: 1, type: 'candidate', from: alice().id, to: bob().id, attempt: 'A'.repeat(22), candidate });
    await context.publishRaw(inbox, [Buffer.from('{"v":1,"type":"offer"'), Buffer.alloc(MAX_PAYLOAD_BYTES + 100, 0x7b), Buffer.from(oversizedCandidate)]);
    // All were delivered to Bob's session before anything of the connection below (one broker
    // connection, in order): once it is open they have been read.
    const ids = await connectBroker(alice().tracker, bob().tracker, 'mqtt');
    expect(bob().service.stderr()).toMatch(/refused a message from the MQTT broker .*not UTF-8 JSON/);
    expect(bob().service.stderr()).toMatch(new RegExp(`refused a message from the MQTT broker .*${MAX_PAYLOAD_BYTES + 100} bytes is over`));
    expect(bob().service.stderr()).toMatch(/refused a message from the MQTT broker .*not a WhatNext signal: .* at candidate\.candidate/);
    expect((await bob().client.request('service.status', {})).local.id).toBe(bob().id);
    await alice().client.request('connections.close', { connectionId: ids.inviter });
    await bob().tracker.connection(ids.answerer, (c) => c.state === 'closed');
  });

  it('replicates a shared playlist both ways', { timeout }, async () => {
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
}
