/**
 * The engine wrapper on the real @roamhq/wrtc engine: peer connections made ahead (`prepare`)
 * are handed to the next matching `new RTCPeerConnection`, tracked, and closed at the end; a
 * candidate arriving as its connection closes is dropped, not thrown at PeerJS.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DataConnection, Peer } from 'peerjs';
import { WebSocket } from 'ws';
import { loadDefaultEngine, type WebRtcEngine } from '../webrtc';
import { startBroker } from './broker';
import { SPARE_MAX_AGE_MS, trackPeerConnections } from './engine';
import { ALICE, BOB, recordingEngine } from './testing/peers';
import { loadPeerJs } from './peerjs-client';

const CONFIG: RTCConfiguration = { iceServers: [] };
const HOST_CANDIDATE: RTCIceCandidateInit = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
const OTHER: RTCConfiguration = { iceServers: [{ urls: 'stun:127.0.0.1:3478' }] };

describe('trackPeerConnections', () => {
  let tracked: ReturnType<typeof trackPeerConnections> | undefined;
  afterEach(() => {
    vi.useRealTimers();
    tracked?.closeAll();
    tracked = undefined;
  });

  it('hands the connection prepared ahead to the next construction with an equal configuration', async () => {
    const { engine, created: made } = await recordingEngine();
    tracked = trackPeerConnections(engine);
    tracked.prepare(CONFIG);
    tracked.prepare({ iceServers: [] }); // one is ready: no second
    expect(made).toHaveLength(1);
    const pc = new tracked.RTCPeerConnection({ iceServers: [] });
    expect(pc).toBe(made[0]);
    expect(tracked.open.has(pc)).toBe(true);
    // Taken: the next one is made on the spot.
    const next = new tracked.RTCPeerConnection(CONFIG);
    expect(made).toEqual([pc, next]);
  });

  it('makes a fresh connection for another configuration, and keeps the spare for its own', async () => {
    const { engine, created: made } = await recordingEngine();
    tracked = trackPeerConnections(engine);
    tracked.prepare(CONFIG);
    const other = new tracked.RTCPeerConnection(OTHER);
    expect(made).toHaveLength(2);
    expect(made[1]).toBe(other);
    expect(new tracked.RTCPeerConnection(CONFIG)).toBe(made[0]);
    // Preparing another configuration replaces (and closes) the spare.
    tracked.prepare(CONFIG);
    const replaced = made.at(-1)!;
    tracked.prepare(OTHER);
    expect(replaced.signalingState).toBe('closed');
    expect(new tracked.RTCPeerConnection(OTHER)).toBe(made.at(-1));
  });

  it('closes a spare that waited too long instead of handing it out', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { engine, created: made } = await recordingEngine();
    tracked = trackPeerConnections(engine);
    tracked.prepare(CONFIG);
    const stale = made[0]!;
    vi.setSystemTime(Date.now() + SPARE_MAX_AGE_MS + 1);
    const pc = new tracked.RTCPeerConnection(CONFIG);
    expect(pc).not.toBe(stale);
    expect(stale.signalingState).toBe('closed');
    expect(tracked.open.has(stale)).toBe(false);
    // Preparing again replaces a stale spare rather than keeping it.
    tracked.prepare(CONFIG);
    const second = made.at(-1)!;
    vi.setSystemTime(Date.now() + SPARE_MAX_AGE_MS + 1);
    tracked.prepare(CONFIG);
    expect(second.signalingState).toBe('closed');
    expect(new tracked.RTCPeerConnection(CONFIG)).toBe(made.at(-1));
    expect(made.at(-1)).not.toBe(second);
  });

  it('keeps no spare for a configuration with certificates, and discards one on request', async () => {
    const { engine, created: made } = await recordingEngine();
    tracked = trackPeerConnections(engine);
    tracked.prepare({ ...CONFIG, certificates: [] });
    expect(made).toHaveLength(0);
    tracked.prepare(CONFIG);
    tracked.discardSpare();
    expect(made[0]!.signalingState).toBe('closed');
    expect(new tracked.RTCPeerConnection(CONFIG)).not.toBe(made[0]);
  });

  it('throws what the engine throws while preparing, and constructs as usual after', async () => {
    const { engine, created: made } = await recordingEngine();
    let failures = 1;
    const Recording = engine.RTCPeerConnection;
    const failing: WebRtcEngine = {
      ...engine,
      RTCPeerConnection: class extends Recording {
        constructor(config?: RTCConfiguration) {
          if (failures-- > 0) throw new Error('engine out of resources');
          super(config);
        }
      },
    };
    tracked = trackPeerConnections(failing);
    expect(() => tracked!.prepare(CONFIG)).toThrow('engine out of resources');
    const pc = new tracked.RTCPeerConnection(CONFIG);
    expect(made).toEqual([pc]);
  });

  it('tells each description a connection creates, and closes everything at the end, the spare too', async () => {
    const { engine, created: made } = await recordingEngine();
    const described: [RTCPeerConnection, string][] = [];
    tracked = trackPeerConnections(engine);
    tracked.prepare(CONFIG);
    const pc = new tracked.RTCPeerConnection(CONFIG);
    tracked.onLocalDescription(pc, (sdp) => described.push([pc, sdp]));
    pc.createDataChannel('test');
    const offer = await pc.createOffer();
    expect(described).toEqual([[pc, offer.sdp]]);
    tracked.prepare(CONFIG);
    expect(made).toHaveLength(2);
    tracked.closeAll();
    expect(made.map((made) => made.signalingState)).toEqual(['closed', 'closed']);
    expect(tracked.open.size).toBe(0);
    tracked.prepare(CONFIG); // after the end: nothing more is made
    expect(made).toHaveLength(2);
  });

  it('gives a subclass of the wrapped class its own connection, never the spare', async () => {
    const { engine, created: made } = await recordingEngine();
    tracked = trackPeerConnections(engine);
    tracked.prepare(CONFIG);
    const Sub = class extends tracked.RTCPeerConnection {};
    const pc = new Sub(CONFIG);
    expect(pc).toBeInstanceOf(Sub);
    expect(pc).not.toBe(made[0]);
    pc.close();
  });

  it('never rejects a remote candidate: a refusal on an open connection is told, one on a connection closed meanwhile is dropped', async () => {
    const { engine } = await recordingEngine();
    const refused: unknown[] = [];
    tracked = trackPeerConnections(engine, (error) => refused.push(error));
    const closing = new tracked.RTCPeerConnection(CONFIG);
    const adding = closing.addIceCandidate(HOST_CANDIDATE); // no remote description: the engine refuses
    closing.close();
    await expect(adding).resolves.toBeUndefined();
    expect(refused).toEqual([]);
    const open = new tracked.RTCPeerConnection(CONFIG);
    await expect(open.addIceCandidate(HOST_CANDIDATE)).resolves.toBeUndefined();
    expect(refused).toHaveLength(1);
    expect(String(refused[0])).toMatch(/ICE candidate/);
  });
});

/**
 * PeerJS 1.5.5 hands a broker CANDIDATE message to `DataConnection.handleMessage` without awaiting
 * it. When the connection closes while the candidate is being added, the rejection handler reads
 * the provider close() cleared: a TypeError out of a promise nobody awaits, which ends a Node
 * process. Driven here through that same entry point, on a real broker and engine.
 */
describe('PeerJS and a candidate that arrives as its connection closes', () => {
  /** `during`: the connection closes while the candidate is being added; `before`: it was closed
   * when the candidate came. */
  const handleCandidateThenClose = async (RTCPeerConnectionClass: typeof RTCPeerConnection, closes: 'during' | 'before' = 'during'): Promise<unknown> => {
    const engine = loadDefaultEngine();
    const peerjs = loadPeerJs({ ...engine, RTCPeerConnection: RTCPeerConnectionClass, WebSocket: WebSocket as never });
    const broker = await startBroker();
    const peers: Peer[] = [];
    try {
      const register = (id: string) => {
        const peer = new peerjs.Peer(id, { host: broker.host, port: broker.port, path: broker.path, key: broker.key, secure: false, config: CONFIG });
        peers.push(peer);
        return new Promise<Peer>((resolve, reject) => {
          peer.once('open', () => resolve(peer));
          peer.once('error', reject);
        });
      };
      const [a, b] = await Promise.all([register(ALICE.id), register(BOB.id)]);
      const incoming = new Promise<DataConnection>((resolve) => a.once('connection', resolve));
      const out = b.connect(ALICE.id, { reliable: true, serialization: 'raw' });
      const opened = (conn: DataConnection) => new Promise((resolve) => conn.once('open', () => resolve(undefined)));
      await Promise.all([opened(out), incoming.then(opened)]);
      if (closes === 'before') out.close();
      const handling = (out as unknown as { handleMessage(message: unknown): Promise<void> }).handleMessage({
        type: 'CANDIDATE',
        payload: { candidate: HOST_CANDIDATE, connectionId: out.connectionId },
      });
      if (closes === 'during') out.close();
      return await handling.then(
        () => 'handled',
        (error: unknown) => error,
      );
    } finally {
      for (const peer of peers) peer.destroy();
      await broker.close();
    }
  };

  it('is a TypeError on the bare engine (the PeerJS bug the wrapper stands in for)', async () => {
    const { RTCPeerConnection } = loadDefaultEngine();
    const outcome = await handleCandidateThenClose(RTCPeerConnection);
    expect(outcome).toBeInstanceOf(TypeError);
    expect((outcome as TypeError).message).toMatch(/emitError/);
  });

  it('is dropped when the connection had closed already, on any engine (our copy of PeerJS checks)', async () => {
    const { RTCPeerConnection } = loadDefaultEngine();
    expect(await handleCandidateThenClose(RTCPeerConnection, 'before')).toBe('handled');
  });

  it('is handled quietly on the tracked engine, and the refusal dropped', async () => {
    const { engine } = await recordingEngine();
    const tracked = trackPeerConnections(engine);
    try {
      expect(await handleCandidateThenClose(tracked.RTCPeerConnection)).toBe('handled');
    } finally {
      tracked.closeAll();
    }
  });
});
