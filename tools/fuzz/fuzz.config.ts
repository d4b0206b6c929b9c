/**
 * What the fuzzed services run: the app's plugins, with the PeerJS broker the run started on a
 * loopback port and no STUN or TURN servers, so no input can make a service reach past this
 * machine.
 */
import { defineConfig } from '../../core/config';
import { manual } from '../../plugins/manual';
import { peerjs } from '../../plugins/peerjs';
import { rxdb } from '../../plugins/rxdb';
import { simplePeer } from '../../plugins/simple-peer';
import { webrtc } from '../../plugins/webrtc';

const brokerPort = Number(process.env.WHATNEXT_FUZZ_BROKER_PORT);
if (!Number.isInteger(brokerPort) || brokerPort <= 0) throw new Error('WHATNEXT_FUZZ_BROKER_PORT must name the fuzz run’s own broker port');

export default defineConfig({
  plugins: [manual(), webrtc({ iceServers: [] }), simplePeer(), peerjs({ host: '127.0.0.1', port: brokerPort, listen: false }), rxdb()],
});
