/**
 * Core's transport conformance suite, run against MQTT-signaled WebRTC pipes through a real
 * Mosquitto the test starts (loopback only, no ICE servers).
 */
import { describeTransportConformance, PEER_A, PEER_B } from '../../core/testing';
import { twoPeers, type TwoPeers } from './testing/two-peers';

let peers: Promise<TwoPeers> | undefined;

describeTransportConformance('mqtt', {
  async connect(sinkA, sinkB) {
    peers ??= twoPeers(PEER_A, PEER_B);
    const { a, b } = await (await peers).pair({ a: sinkA, b: sinkB });
    return { a, b };
  },
  async teardown() {
    await (await peers)?.close();
  },
  secureSession: true,
});
