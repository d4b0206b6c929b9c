/**
 * MQTT connect time next to PeerJS's and raw simple-peer's, in the same run: one pair of peers
 * (each a PluginHost + ConnectionManager, both in this process) with both broker methods, a real
 * Mosquitto and a real PeerServer on loopback, and raw simple-peer with its signals handed over
 * in code; the three connects alternated, so drift on a shared machine hits all alike. One
 * connect: from opening an invite link made beforehand until both sides are open (ours), or from
 * creating the peers until both are connected (raw).
 */
import { mqtt } from '../plugins/mqtt';
import { startMosquitto } from '../plugins/mqtt/testing/mosquitto';
import { peerjs } from '../plugins/peerjs';
import type { Broker } from '../plugins/peerjs/broker';
import { webrtc } from '../plugins/webrtc';
import { closePair, ourPeer, preparePeerjs, type OurPeer } from './ours';
import { rawSimplePeer } from './raw';
import { coolDown, measurement, percentile, timed, type Measurement } from './stats';

/** One timed connect through `method`, then its close. */
async function connectOnce(a: OurPeer, b: OurPeer, method: string): Promise<number> {
  const prepared = await preparePeerjs(a, b, method);
  let pair: Awaited<ReturnType<typeof prepared.connect>> | undefined;
  const ms = await timed(async () => (pair = await prepared.connect()));
  await closePair(pair!);
  await coolDown();
  return ms;
}

async function rawOnce(): Promise<number> {
  let pair: Awaited<ReturnType<typeof rawSimplePeer>> | undefined;
  const ms = await timed(async () => (pair = await rawSimplePeer()));
  await pair!.close();
  await coolDown();
  return ms;
}

export async function mqttVersusPeerjs(broker: Broker, connects: number, log: (m: Measurement) => void): Promise<void> {
  const mosquitto = await startMosquitto();
  const plugins = () => [webrtc(), peerjs({ host: broker.host, port: broker.port, path: broker.path, key: broker.key }), mqtt({ url: mosquitto.url })];
  const peers: OurPeer[] = [];
  try {
    const a = await ourPeer('Alice', plugins());
    peers.push(a);
    const b = await ourPeer('Bob', plugins());
    peers.push(b);
    // Untimed: both registered on both brokers, as a running app is.
    await connectOnce(a, b, 'peerjs');
    await connectOnce(a, b, 'mqtt');
    const samples = { mqtt: [] as number[], peerjs: [] as number[], raw: [] as number[] };
    for (let i = 0; i < connects; i++) {
      samples.mqtt.push(await connectOnce(a, b, 'mqtt'));
      samples.peerjs.push(await connectOnce(a, b, 'peerjs'));
      samples.raw.push(await rawOnce());
    }
    const p50 = (values: number[]) => percentile(values, 0.5);
    const layout = 'both peers in one process';
    log(
      measurement('mqtt', `connect p50, ${layout} (raw: simple-peer)`, 'ms', p50(samples.mqtt), p50(samples.raw), {
        n: connects,
        samples: { ours: samples.mqtt, raw: samples.raw },
      }),
    );
    log(measurement('peerjs', `connect p50, ${layout}, same run as mqtt (raw: simple-peer)`, 'ms', p50(samples.peerjs), p50(samples.raw), { n: connects }));
    // The target: MQTT against PeerJS, both ours, in this run ("raw" column: our PeerJS).
    log(
      measurement('mqtt vs peerjs', `connect p50, ${layout} (raw column: our peerjs)`, 'ms', p50(samples.mqtt), p50(samples.peerjs), {
        n: connects,
        target: 'ratio ≤ 1.5',
      }),
    );
  } finally {
    for (const peer of peers) await peer.stop();
    await mosquitto.stop();
  }
}
