/**
 * Which plugins the app loads, in order, with their options: like a vite.config.ts.
 * The service adds two approval policies of its own first (rate-limit, known-peers).
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
    // What the WebRTC plugins share: the engine and the ICE servers. A public STUN server (as
    // PeerJS and browser apps use) tells each side its public address, which crosses common home
    // NATs with no setting; it sees your public IP address and port (README: "Across the internet").
    // A relay (TURN) server, where no direct path exists, is yours to add. Tests never run this file.
    webrtc({ iceServers: [{ urls: 'stun:stun.l.google.com:19302' }] }),
    simplePeer(),
    // Two brokers a real person reaches with nothing to run, of two kinds, so neither is a single
    // point of failure: known peers reconnect through the first one up, in this order (README:
    // "Signaling brokers"). Each learns your peer id and when you are online; never what you share.
    // Replace either with your own, or turn it off, in Settings → Plugins. Tests never run this file.
    // EMQX's public MQTT broker (a cluster), over WebSocket with TLS.
    mqtt({ url: 'wss://broker.emqx.io:8084/mqtt' }),
    // PeerJS's public cloud PeerServer, over TLS.
    peerjs({ host: '0.peerjs.com', port: 443, path: '/', key: 'peerjs', secure: true }),
    // Playlists: stored in the data folder, replicated over every connection, whatever carries it.
    rxdb(),
  ],
});
