/**
 * "Raw": the libraries on their own, used the way their READMEs show, with the same WebRTC
 * engine (@roamhq/wrtc) and, for PeerJS, the same broker.
 */
import { createRequire } from 'node:module';
import Peer from 'simple-peer';
import WebSocket from 'ws';
import { loadPeerJs } from '../plugins/peerjs/peerjs-client';
import type { Broker } from '../plugins/peerjs/broker';

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc');

/** A connected pair with a uniform face: send bytes, receive bytes, wait for drain, close. */
export interface RawPair {
  send(from: 'a' | 'b', data: Uint8Array): void;
  /** Returns a function that removes the listener again. */
  onData(side: 'a' | 'b', listener: (data: Uint8Array) => void): () => void;
  /** Bulk send with the library's own flow control (simple-peer: its stream's backpressure;
   * PeerJS: its internal send buffer). */
  write(from: 'a' | 'b', data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** `signals` hears each side's one signal, as JSON (what a person would carry with raw
 * simple-peer). */
export async function rawSimplePeer(signals?: (offer: string, answer: string) => void): Promise<RawPair> {
  const a = new Peer({ initiator: true, trickle: false, wrtc });
  const b = new Peer({ trickle: false, wrtc });
  let offer = '';
  a.on('signal', (s) => {
    offer = JSON.stringify(s);
    b.signal(s);
  });
  b.on('signal', (s) => {
    signals?.(offer, JSON.stringify(s));
    a.signal(s);
  });
  await Promise.all([new Promise((r) => a.once('connect', r)), new Promise((r) => b.once('connect', r))]);
  const peers = { a, b };
  return {
    send: (from, data) => peers[from].send(data),
    onData: (side, listener) => {
      const handler = (d: Uint8Array) => listener(d);
      peers[side].on('data', handler);
      return () => void peers[side].off('data', handler);
    },
    write: (from, data) => (peers[from].write(data) ? Promise.resolve() : new Promise((resolve) => peers[from].once('drain', () => resolve()))),
    close: () =>
      new Promise<void>((resolve) => {
        b.once('close', () => resolve());
        a.destroy();
      }),
  };
}

export interface RawPeerJs {
  connect(): Promise<RawPair>;
  close(): void;
}

/** Where the raw PeerJS clients register (a `Broker`'s address). */
export type BrokerAddress = Pick<Broker, 'host' | 'port' | 'path' | 'key'>;

/** The data connection options both raw and ours use: reliable (ordered), raw bytes. */
export const RAW_CONNECT_OPTIONS = { reliable: true, serialization: 'raw' } as const;

/** PeerJS with the engine's globals supplied as a Node user would: one copy per process. */
let peerJs: ReturnType<typeof loadPeerJs> | undefined;

/** One PeerJS client registered on `broker` as `id`. */
export async function rawPeerJsPeer(broker: BrokerAddress, id: string): Promise<import('peerjs').Peer> {
  peerJs ??= loadPeerJs({
    RTCPeerConnection: wrtc.RTCPeerConnection,
    RTCSessionDescription: wrtc.RTCSessionDescription,
    RTCIceCandidate: wrtc.RTCIceCandidate,
    WebSocket: WebSocket as never,
  });
  const peer = new peerJs.Peer(id, { host: broker.host, port: broker.port, path: broker.path, key: broker.key, secure: false, config: { iceServers: [] } });
  await new Promise((resolve) => peer.once('open', resolve));
  return peer;
}

/** Two PeerJS clients registered on `broker`. */
export async function rawPeerJs(broker: BrokerAddress, ids: [string, string]): Promise<RawPeerJs> {
  const [a, b] = await Promise.all([rawPeerJsPeer(broker, ids[0]), rawPeerJsPeer(broker, ids[1])]);
  return {
    async connect() {
      const incoming = new Promise<import('peerjs').DataConnection>((resolve) => a.once('connection', resolve));
      const out = b.connect(ids[0], RAW_CONNECT_OPTIONS);
      const inc = await incoming;
      await Promise.all([new Promise((r) => out.once('open', () => r(undefined))), new Promise((r) => inc.once('open', () => r(undefined)))]);
      const conns = { a: inc, b: out };
      return {
        send: (from, data) => void conns[from].send(data),
        onData: (side, listener) => {
          const handler = (d: unknown) => listener(new Uint8Array(d as ArrayBuffer));
          conns[side].on('data', handler);
          return () => void conns[side].off('data', handler);
        },
        write: async (from, data) => void conns[from].send(data),
        close: () =>
          new Promise<void>((resolve) => {
            inc.once('close', () => resolve());
            out.close();
          }),
      };
    },
    close() {
      a.destroy();
      b.destroy();
    },
  };
}
