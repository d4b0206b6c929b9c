/**
 * The app's plugins for development (`npm run web:dev`): as plugins.config.ts, with local brokers
 * instead of the public ones, so a developer's runs reach nobody else: a PeerServer from
 * `npm run broker -- --port 9000`, and a Mosquitto on its default port (`mosquitto -p 1883`).
 * No STUN server: two peers on one machine need none.
 */
import { defineConfig } from './core/config';
import { manual } from './plugins/manual';
import { webrtc } from './plugins/webrtc';
import { simplePeer } from './plugins/simple-peer';
import { peerjs } from './plugins/peerjs';
import { mqtt } from './plugins/mqtt';
import { rxdb } from './plugins/rxdb';

export default defineConfig({
  plugins: [
    manual(),
    webrtc({ iceServers: [] }),
    simplePeer(),
    mqtt({ url: 'mqtt://127.0.0.1:1883' }),
    peerjs({ host: '127.0.0.1', port: 9000, path: '/whatnext', key: 'peerjs' }),
    rxdb(),
  ],
});
