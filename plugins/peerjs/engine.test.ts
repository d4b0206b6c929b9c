/**
 * The engine wrapper on the real @roamhq/wrtc engine: peer connections made ahead (`prepare`)
 * are handed to the next matching `new RTCPeerConnection`, tracked, and closed at the end.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SPARE_MAX_AGE_MS, trackPeerConnections, type WebRtcEngine } from './engine';
import { recordingEngine } from './test-support';

const CONFIG: RTCConfiguration = { iceServers: [] };
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
});
