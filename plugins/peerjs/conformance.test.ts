/**
 * Core's conformance suites, run against PeerJS through real local brokers (loopback only, no
 * ICE servers): the transport suite on its pipes, the signaling suite on the method.
 */
import { describeSignalingConformance, describeTransportConformance, PEER_A, PEER_B } from '@whatnext/core/testing';
import { webrtc } from '../webrtc';
import { startBroker, type Broker } from './broker';
import { peerjs } from './index';
import { twoPeers, type TwoPeers } from './testing/two-peers';

let peers: Promise<TwoPeers> | undefined;

describeTransportConformance('peerjs', {
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

// The signaling suite: the peerjs plugin as the app loads it (with the webrtc plugin), on a
// real broker this file starts.
let broker: Broker | undefined;
describeSignalingConformance('peerjs', {
  method: 'peerjs',
  // The handshake nonce came later: links from before it still connect.
  optionalLinkParams: ['hn'],
  async setup() {
    broker = await startBroker({ port: 0 });
  },
  plugins: () => [webrtc(), peerjs({ host: broker!.host, port: broker!.port, path: broker!.path, key: broker!.key })],
  teardown: () => broker?.close(),
});
