/**
 * The mqtt method across real networks: real service processes on hosts of the network lab
 * (tools/netlab) behind cone NAT routers, signaling through a real Mosquitto on the public
 * segment, with the lab's coturn for STUN and TURN. They pass the same cases as on loopback
 * (host/service/testing/mqtt-cases.ts: invite and approve, 5 MiB each way, close from each side,
 * reject, time out, a spent invite refused with its reason, hostile payloads published by an
 * outsider's own MQTT client from another host, playlist replication), and a host behind a
 * symmetric router connects to a cone one through a TURN relay.
 *
 * Each connection here costs about 10 s more than on loopback: in a lab host @roamhq/wrtc also
 * gathers on the namespace's loopback and its gathering never reports complete, so the method's
 * non-trickle signals wait their gathering bound (GATHER_LIMIT_MS) on each side. The hosts keep
 * loopback up, as every lab test does: the wait is the method's to remove (trickle), not the
 * lab's to hide.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConnectionPath } from '../../../core/index';
import type { Mosquitto } from '../../../plugins/mqtt/testing/mosquitto';
import { playlistsProtocol, type WithPlaylists } from '../../../plugins/rxdb/protocol';
import { watch } from '../../../plugins/rxdb/testing/harness';
import { startCoturn, type Coturn } from '../../../tools/netlab/coturn';
import { createLab, type Lab, type LabHost } from '../../../tools/netlab/lab';
import type { RouterKind } from '../../../tools/netlab/routers';
import { describeLab } from '../../../tools/netlab/support';
import type { PublishCommand, PublishReply } from '../testing/fixtures/mqtt-publish';
import { Tracker, connectBroker } from '../testing/flows';
import { LAB_TURN_USER, labIceServers, startLabMosquitto, startLabService, type LabServiceOptions } from '../testing/lab';
import { within } from '../testing/lab-reconnect';
import { mqttCases, type MqttPeer } from '../testing/mqtt-cases';

const PUBLISHER = fileURLToPath(new URL('../testing/fixtures/mqtt-publish.ts', import.meta.url));
/** Bound on each case: a few connections across the routers, 10 MiB, waits for the other side. */
const CASE_MS = 60_000;
/** Bound on the outsider's publish (start of a node process included). */
const PUBLISH_MS = 30_000;

describeLab('services over mqtt in the network lab, the broker on the public segment', () => {
  let lab: Lab | undefined;
  let turn: Coturn;
  let mosquitto: Mosquitto | undefined;
  let outsider: LabHost;
  const peers = new Map<string, MqttPeer>();

  async function startPeer(name: string, kind: RouterKind, options: LabServiceOptions = {}): Promise<void> {
    const host = await lab!.host(name.toLowerCase(), kind);
    const service = await startLabService<WithPlaylists>(lab!, host, name, {
      iceServers: labIceServers(turn),
      mqttUrl: mosquitto!.url,
      protocols: [playlistsProtocol],
      ...options,
    });
    const id = (await service.client.request('service.status', {})).local.id;
    peers.set(name, watch({ service, client: service.client, tracker: new Tracker(service.client), id }));
  }

  beforeAll(async () => {
    lab = await createLab();
    [turn, mosquitto] = await Promise.all([startCoturn(lab, { auth: { mode: 'long-term', ...LAB_TURN_USER } }), startLabMosquitto(lab)]);
    await Promise.all([
      startPeer('Alice', 'cone'),
      startPeer('Bob', 'cone'),
      startPeer('Carol', 'cone', { approvalTimeoutMs: 300 }),
      startPeer('Dave', 'symmetric'),
      lab.host('outsider', 'none').then((host) => (outsider = host)),
    ]);
  }, 90_000);

  afterAll(async () => {
    // Each service is asked to shut down; the lab then kills whatever is left (Mosquitto and
    // coturn included) and removes every namespace, rule and folder, whatever happened above.
    try {
      await Promise.all([...peers.values()].map((p) => (p.tracker.stop(), p.service.stop())));
      await mosquitto?.stop();
    } finally {
      await lab?.close();
    }
  }, 60_000);

  mqttCases({
    peers: () => ({ alice: peers.get('Alice')!, bob: peers.get('Bob')!, carol: peers.get('Carol')! }),
    timeoutMs: CASE_MS,
    // From a host of its own on the public segment: an outsider who knows the broker.
    async publishRaw(topic, payloads) {
      const publisher = outsider.spawnNode<PublishCommand, PublishReply>('mqtt-publish', PUBLISHER);
      try {
        publisher.send({ type: 'publish', url: mosquitto!.url, topic, payloads: payloads.map((p) => Buffer.from(p).toString('base64')) });
        await publisher.next('published', PUBLISH_MS);
      } finally {
        await publisher.stop();
      }
    },
  });

  it('a host behind a symmetric router connects to a cone one through a TURN relay, and they talk', { timeout: CASE_MS }, async () => {
    const [alice, dave] = [peers.get('Alice')!, peers.get('Dave')!];
    const ids = await connectBroker(alice.tracker, dave.tracker, 'mqtt');
    try {
      const received = new Promise<unknown>((resolve) => {
        const off = alice.client.on('connection.message', (m) => {
          if (m.connectionId !== ids.inviter || m.channel !== 'chat') return;
          off();
          resolve(m.message);
        });
      });
      await alice.client.request('connections.listen', { connectionId: ids.inviter, channel: 'chat' });
      await dave.client.request('connections.send', { connectionId: ids.answerer, channel: 'chat', message: 'from behind a symmetric NAT' });
      expect(await received).toBe('from behind a symmetric NAT');
      // ICE may open on one pair and move to another; a symmetric NAT meeting a cone one has no
      // direct path, so both sides' path ends relayed.
      const relayed = (p: ConnectionPath | undefined) => p?.kind === 'relayed';
      const path = await within(
        dave.tracker.connection(ids.answerer, (c) => relayed(c.stats.path)),
        CASE_MS / 2,
        () => `Dave's path to be relayed; it is ${JSON.stringify(dave.tracker.connections.get(ids.answerer)?.stats.path)}`,
      );
      expect(path.method).toBe('mqtt');
    } finally {
      await alice.client.request('connections.close', { connectionId: ids.inviter });
      await dave.tracker.connection(ids.answerer, (c) => c.state === 'closed' || c.state === 'failed');
    }
  });
});
