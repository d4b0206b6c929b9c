/**
 * Core's conformance suites, run against the mqtt plugin through real Mosquittos the test starts
 * (loopback only, no ICE servers): the transport suite on its pipes, the signaling suite on the
 * method.
 */
import { describeSignalingConformance, describeTransportConformance, PEER_A, PEER_B } from '@whatnext/core/testing';
import { webrtc } from '../webrtc';
import { mqtt } from './index';
import { startMosquitto, type Mosquitto } from './testing/mosquitto';
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

// The signaling suite: the mqtt plugin as the app loads it (with the webrtc plugin), on a
// Mosquitto this file starts.
let mosquitto: Mosquitto | undefined;
describeSignalingConformance('mqtt', {
  method: 'mqtt',
  // The handshake nonce came later: links from before it still connect.
  optionalLinkParams: ['hn'],
  async setup() {
    mosquitto = await startMosquitto();
  },
  plugins: () => [webrtc(), mqtt({ url: mosquitto!.url })],
  teardown: () => mosquitto?.stop(),
});
