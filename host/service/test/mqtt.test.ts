/**
 * Real service processes connect over real WebRTC on loopback, signaled through a real Mosquitto
 * the test starts: the cases of host/service/testing/mqtt-cases.ts (invite, approve, reject, time
 * out, a request from a spent invite refused with its reason, 5 MiB each way, close from each
 * side, hostile payloads in a peer's inbox, playlist replication; the network lab runs the same
 * ones), and a known peer reconnecting by itself through `reach`.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../../../plugins/mqtt/testing/mosquitto';
import { playlistsProtocol, type WithPlaylists } from '../../../plugins/rxdb/protocol';
import { watch } from '../../../plugins/rxdb/testing/harness';
import type { ServiceClient } from '../../../core/protocol/client';
import { spawnService, type SpawnedService, type SpawnOptions } from '../testing/spawn';
import { Tracker, connectBroker } from '../testing/flows';
import { mqttCases, type MqttPeer } from '../testing/mqtt-cases';
import { publishRaw } from '../testing/mqtt-raw';

const CONFIG = fileURLToPath(new URL('../testing/fixtures/mqtt.config.ts', import.meta.url));
type Peer = MqttPeer;

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

describe('services over mqtt', () => {
  mqttCases({
    peers: () => ({ alice: peers.Alice!, bob: peers.Bob!, carol: peers.Carol! }),
    publishRaw: (topic, payloads) => publishRaw(broker!.url, topic, payloads),
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
