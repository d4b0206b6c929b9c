/**
 * Which plugins the app loads, in order, with their options: like a vite.config.ts.
 * The service adds two approval policies of its own first (rate-limit, known-peers).
 */
import { defineConfig } from './core/config';
import { manual } from './plugins/manual';
import { webrtc } from './plugins/webrtc';
import { simplePeer } from './plugins/simple-peer';
import { peerjs } from './plugins/peerjs';
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
    // A local broker (`npm run broker`) by default; point it at your own PeerServer in settings.
    peerjs({ host: '127.0.0.1', port: 9000, path: '/whatnext', key: 'peerjs' }),
    // Playlists: stored in the data folder, replicated over every connection, whatever carries it.
    rxdb(),
  ],
});
