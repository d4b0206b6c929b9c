/**
 * The simple-peer transport over real WebRTC (@roamhq/wrtc) on loopback. Every case waits for
 * events, never for time, and ends every peer connection it opens.
 */
import { createRequire } from 'node:module';
import SimplePeer from 'simple-peer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginHost, TransportError, type ConnectionStage, type Pipe, type Signal } from '@whatnext/core';
import { RecordingSink, pattern, sameBytes } from '@whatnext/core/testing';
import { LOW_WATER_MARK, WEBRTC_ANSWERER_READY, createWebRtc, webrtc, type WebRtcEngine, type WebRtcOptionsInput } from '../webrtc';
import { refusingTurn, silentUdp, type LoopbackServer } from '../webrtc/testing/ice-servers';
import { simplePeer } from './index';
import type { SimplePeerOptionsInput } from './options';
import { createSimplePeerTransport, type SimplePeerTransport } from './transport';

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as WebRtcEngine;
/** Transports made in a case; each case ends by disposing them, closing whatever a failed
 * case left open. The engine and ICE servers go to the webrtc service it runs on. */
const made: SimplePeerTransport[] = [];
function scoped({ engine, iceServers, ...options }: SimplePeerOptionsInput & WebRtcOptionsInput = {}): SimplePeerTransport {
  const transport = createSimplePeerTransport(createWebRtc({ engine, iceServers }), options);
  made.push(transport);
  return transport;
}
let transport: SimplePeerTransport;
beforeEach(() => {
  transport = scoped();
});
/** Loopback servers a case started (silent ports, a refusing TURN server), closed after it. */
const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((t) => t.dispose()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Side {
  sink: RecordingSink;
  stages: ConnectionStage[];
  signals: Signal[];
  abort: AbortController;
  dial: ReturnType<SimplePeerTransport['dial']>;
}

/** Dial both sides, relaying signals asynchronously (as a network would), through JSON. */
function dialPair(on: SimplePeerTransport, trickle: boolean) {
  const sides = {} as { a: Side; b: Side };
  for (const name of ['a', 'b'] as const) {
    const other = name === 'a' ? 'b' : 'a';
    const side = { sink: new RecordingSink(), stages: [], signals: [], abort: new AbortController() } as unknown as Side;
    side.dial = on.dial({
      initiator: name === 'a',
      trickle,
      sink: side.sink,
      abort: side.abort.signal,
      stage: (stage) => side.stages.push(stage),
      sendSignal: (signal) => {
        side.signals.push(signal);
        const copy = JSON.parse(JSON.stringify(signal));
        setImmediate(() => sides[other]?.dial.signal(copy));
      },
    });
    sides[name] = side;
  }
  return sides;
}

async function openPair(on: SimplePeerTransport, trickle = true) {
  const sides = dialPair(on, trickle);
  const [a, b] = await Promise.all([sides.a.dial.pipe, sides.b.dial.pipe]);
  return { ...sides, pa: a, pb: b };
}

async function sendAll(pipe: Pipe, sink: RecordingSink, frames: Uint8Array[], highWaterMark = 1024 * 1024): Promise<void> {
  for (const frame of frames) {
    if (pipe.bufferedAmount!() > highWaterMark) {
      const drains = sink.drains;
      await sink.until(() => sink.drains > drains, 'a drain');
    }
    pipe.send(frame);
  }
}

describe('simple-peer transport', () => {
  for (const trickle of [true, false]) {
    it(`opens ${trickle ? 'with trickle ICE' : 'with one complete signal per side'}, reporting signaling → ice → channel`, async () => {
      const p = await openPair(transport, trickle);
      expect(p.a.stages).toEqual(['signaling', 'ice', 'channel']);
      expect(p.b.stages).toEqual(['signaling', 'ice', 'channel']);
      expect(p.pa.maxFrameSize).toBe(64 * 1024);
      expect(p.pa.lowWaterMark).toBe(LOW_WATER_MARK);
      if (trickle) {
        expect(p.a.signals[0]).toMatchObject({ type: 'offer' });
        expect(p.a.signals.some((s) => (s as { type: string }).type === 'candidate')).toBe(true);
      } else {
        expect(p.a.signals).toHaveLength(1);
        expect(p.b.signals).toHaveLength(1);
        const [offer] = p.a.signals as { type: string; sdp: string }[];
        const [answer] = p.b.signals as { type: string; sdp: string }[];
        expect(offer!.type).toBe('offer');
        expect(answer!.type).toBe('answer');
        for (const { sdp } of [offer!, answer!]) {
          expect(sdp).toMatch(/^a=candidate:.* typ host/m);
          expect(sdp).not.toContain('a=ice-options:trickle');
        }
      }
      const sent = [p.a.signals.length, p.b.signals.length];
      p.pa.close();
      await Promise.all([p.a.sink.untilClosed(), p.b.sink.untilClosed()]);
      expect([p.a.signals.length, p.b.signals.length]).toEqual(trickle ? sent : [1, 1]);
    });
  }

  it('carries frames in order both ways, up to a max-size frame', async () => {
    const p = await openPair(transport);
    const sizes = [1, 2, 100, 1500, 16 * 1024, p.pa.maxFrameSize - 1, p.pa.maxFrameSize, ...Array.from({ length: 100 }, (_, i) => 1 + ((i * 7919) % 3000))];
    for (const [from, fromSink, to] of [
      [p.pa, p.a.sink, p.b.sink],
      [p.pb, p.b.sink, p.a.sink],
    ] as const) {
      const frames = sizes.map((size, i) => pattern(size, i + 1));
      await sendAll(from, fromSink, frames);
      await to.until(() => to.frames.length === frames.length, 'every frame');
      to.frames.forEach((frame, i) => expect(sameBytes(frame, frames[i]!), `frame ${i}`).toBe(true));
      expect(Object.getPrototypeOf(to.frames[0])).toBe(Uint8Array.prototype);
    }
    expect(() => p.pa.send(new Uint8Array(p.pa.maxFrameSize + 1))).toThrow(RangeError);
    p.pa.close();
    await Promise.all([p.a.sink.untilClosed(), p.b.sink.untilClosed()]);
  });

  for (const closer of ['a', 'b'] as const) {
    it(`close() on ${closer} reaches the other side as a clean close; closed() once on each side`, async () => {
      const p = await openPair(transport);
      const [pipe, other] = closer === 'a' ? [p.pa, p.pb] : [p.pb, p.pa];
      pipe.close();
      pipe.close();
      expect(() => pipe.send(new Uint8Array([1]))).toThrow(TransportError);
      await Promise.all([p.a.sink.untilClosed(), p.b.sink.untilClosed()]);
      other.close();
      await new Promise((resolve) => setImmediate(resolve));
      expect(p.a.sink.closes).toEqual([undefined]);
      expect(p.b.sink.closes).toEqual([undefined]);
      expect(() => other.send(new Uint8Array([1]))).toThrow(TransportError);
      expect(other.bufferedAmount!()).toBe(0);
    });
  }

  it('waits for drain under load: bufferedAmount rises, drain() comes, every frame arrives', async () => {
    const p = await openPair(transport);
    const frames = Array.from({ length: 160 }, (_, i) => pattern(p.pa.maxFrameSize, i)); // 10 MiB
    let peak = 0;
    const highWaterMark = 512 * 1024;
    for (const frame of frames) {
      if (p.pa.bufferedAmount!() > highWaterMark) {
        const drains = p.a.sink.drains;
        await p.a.sink.until(() => p.a.sink.drains > drains, 'a drain');
        expect(p.pa.bufferedAmount!()).toBeLessThanOrEqual(p.pa.lowWaterMark!);
      }
      p.pa.send(frame);
      peak = Math.max(peak, p.pa.bufferedAmount!());
    }
    await p.b.sink.until(() => p.b.sink.frames.length === frames.length, 'every frame');
    p.b.sink.frames.forEach((frame, i) => expect(sameBytes(frame, frames[i]!)).toBe(true));
    expect(p.a.sink.drains).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(highWaterMark + p.pa.maxFrameSize);
    p.pa.close();
    await Promise.all([p.a.sink.untilClosed(), p.b.sink.untilClosed()]);
  });

  it('abort fails a pending dial with a TransportError naming the stage', async () => {
    const abort = new AbortController();
    const stages: ConnectionStage[] = [];
    let offered!: () => void;
    const offer = new Promise<void>((resolve) => (offered = resolve));
    const dial = transport.dial({ initiator: true, sink: new RecordingSink(), abort: abort.signal, stage: (s) => stages.push(s), sendSignal: () => offered() });
    await offer;
    abort.abort();
    const error = await dial.pipe.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ stage: 'signaling', message: 'simple-peer: signaling failed: the dial was aborted' });
    expect(stages).toEqual(['signaling']);

    const early = new AbortController();
    early.abort();
    const never = transport.dial({ initiator: true, sink: new RecordingSink(), abort: early.signal, stage: () => {}, sendSignal: () => {} });
    await expect(never.pipe).rejects.toBeInstanceOf(TransportError);
    expect(() => never.signal({ type: 'answer', sdp: 'v=0\r\nm=application 9 x\r\n' })).not.toThrow(); // late signals are ignored
  });

  it('without trickle, a STUN server that never answers does not hold the offer back', async () => {
    // libwebrtc would need ~40 s to finish gathering. The offer goes out at gatherTimeoutMs with
    // the host candidates, and they are all loopback needs.
    const stun = await silentUdp();
    servers.push(stun);
    const p = await openPair(scoped({ iceServers: [{ urls: `stun:127.0.0.1:${stun.port}` }], gatherTimeoutMs: 50 }), false);
    expect(p.a.signals).toHaveLength(1);
    expect((p.a.signals[0] as { sdp: string }).sdp).toMatch(/^a=candidate:.* typ host/m);
    p.pa.close();
    await Promise.all([p.a.sink.untilClosed(), p.b.sink.untilClosed()]);
  });

  /** A dials B; B answers and is gone, and its answer reaches A with its candidates replaced by
   * one that nothing answers (a silent port on loopback): ICE finds no path (~15 s: libwebrtc's
   * own timeout). */
  async function noPath(from: SimplePeerTransport, nobody: number): Promise<{ error: unknown; stages: ConnectionStage[]; sink: RecordingSink }> {
    const abortB = new AbortController();
    const stages: ConnectionStage[] = [];
    const sink = new RecordingSink();
    const dials = {} as { a: ReturnType<SimplePeerTransport['dial']>; b: ReturnType<SimplePeerTransport['dial']> };
    dials.a = from.dial({
      initiator: true,
      trickle: false,
      sink,
      abort: new AbortController().signal,
      stage: (s) => stages.push(s),
      sendSignal: (s) => setImmediate(() => dials.b.signal(s)),
    });
    dials.b = transport.dial({
      initiator: false,
      trickle: false,
      sink: new RecordingSink(),
      abort: abortB.signal,
      stage: () => {},
      sendSignal: (signal) => {
        abortB.abort();
        const answer = signal as { type: string; sdp: string };
        const sdp = answer.sdp
          .replace(/^a=candidate:.*\r\n/gm, '')
          .replace(/^(a=mid:.*\r\n)/m, `$1a=candidate:1 1 udp 2122260223 127.0.0.1 ${nobody} typ host\r\n`);
        setImmediate(() => dials.a.signal({ ...answer, sdp }));
      },
    });
    await expect(dials.b.pipe).rejects.toBeInstanceOf(TransportError);
    return { error: await dials.a.pipe.catch((e: unknown) => e), stages, sink };
  }

  it('fails at the ice stage when ICE finds no path, saying what is missing and where to set it', async () => {
    const [nobody, stun, turn] = await Promise.all([silentUdp(), silentUdp(), refusingTurn()]);
    servers.push(nobody, stun, turn);
    // The three at once: each waits for libwebrtc's own timeout.
    const [none, stunOnly, refused] = await Promise.all([
      noPath(transport, nobody.port),
      noPath(scoped({ iceServers: [{ urls: `stun:127.0.0.1:${stun.port}` }], gatherTimeoutMs: 50 }), nobody.port),
      noPath(scoped({ iceServers: [{ urls: `turn:127.0.0.1:${turn.port}`, username: 'u', credential: 'wrong' }], gatherTimeoutMs: 50 }), nobody.port),
    ]);
    for (const { error, stages, sink } of [none, stunOnly, refused]) {
      expect(error).toBeInstanceOf(TransportError);
      expect(error).toMatchObject({ stage: 'ice', message: expect.stringMatching(/^simple-peer: ice failed: .*relay \(TURN\).*Settings → Plugins → webrtc/) });
      expect(stages).toEqual(['signaling', 'ice']);
      expect(sink.closes).toEqual([]); // a pipe that never opened is not "closed"
    }
    expect((none.error as Error).message).toContain('no STUN or TURN server is configured');
    expect((stunOnly.error as Error).message).toContain('a relay (TURN) server is needed. Add a TURN server in Settings → Plugins → webrtc');
    expect((refused.error as Error).message).toContain(
      `the relay (TURN) server gave this side no relay address: turn:127.0.0.1:${turn.port} refused the username or credential (401)`,
    );
  });

  it('abort closes an open pipe, and the remote sees a clean close', async () => {
    const p = await openPair(transport);
    p.b.abort.abort();
    await Promise.all([p.a.sink.untilClosed(), p.b.sink.untilClosed()]);
    expect(p.a.sink.closes).toEqual([undefined]);
    expect(p.b.sink.closes).toEqual([undefined]);
  });

  it('throws a TransportError on unusable signals instead of passing them to simple-peer, and still opens', async () => {
    const sides = dialPair(transport, true);
    const garbage = [
      undefined,
      'not json',
      { type: 'offer' },
      { type: 'offer', sdp: 'garbage' },
      { type: 'candidate', candidate: { candidate: 'candidate:x', sdpMid: '0' } },
      { renegotiate: true },
      { type: 'answer', sdp: 'v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n' }, // an answer to the answering side
    ];
    for (const signal of garbage) expect(() => sides.b.dial.signal(signal), JSON.stringify(signal)).toThrow(TransportError);
    const [a, b] = await Promise.all([sides.a.dial.pipe, sides.b.dial.pipe]);
    const offer = sides.a.signals[0];
    expect(() => sides.b.dial.signal(offer)).toThrow(/a second offer arrived; renegotiation is not supported/);
    a.close();
    await Promise.all([sides.a.sink.untilClosed(), sides.b.sink.untilClosed()]);
    expect(sides.b.sink.closes).toEqual([undefined]);
    b.close();
  });

  it('an SDP the engine refuses fails the dial at signaling', async () => {
    const dial = transport.dial({ initiator: false, sink: new RecordingSink(), abort: new AbortController().signal, stage: () => {}, sendSignal: () => {} });
    dial.signal({ type: 'offer', sdp: 'v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=this is not an offer\r\n' });
    const error = await dial.pipe.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ stage: 'signaling' });
    expect((error as Error).message).toMatch(/^simple-peer: signaling failed: the remote's session description was refused/);
  });

  it('uses the injected engine, and a broken engine fails the dial at signaling', async () => {
    let made = 0;
    const counting: WebRtcEngine = {
      ...wrtc,
      RTCPeerConnection: class extends wrtc.RTCPeerConnection {
        constructor(configuration?: RTCConfiguration) {
          super(configuration);
          made++;
        }
      } as WebRtcEngine['RTCPeerConnection'],
    };
    const p = await openPair(scoped({ engine: counting }));
    expect(made).toBe(2);
    p.pa.close();
    await Promise.all([p.a.sink.untilClosed(), p.b.sink.untilClosed()]);

    const broken: WebRtcEngine = {
      ...wrtc,
      RTCPeerConnection: class {
        constructor() {
          throw new Error('no WebRTC here');
        }
      } as unknown as WebRtcEngine['RTCPeerConnection'],
    };
    const dial = scoped({ engine: broken }).dial({
      initiator: true,
      sink: new RecordingSink(),
      abort: new AbortController().signal,
      stage: () => {},
      sendSignal: () => {},
    });
    const error = await dial.pipe.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ stage: 'signaling' });
    expect((error as Error).message).toContain('no WebRTC here');
  });

  it('talks to a plain simple-peer peer (same signal shapes) that starts with ANSWERER_READY', async () => {
    const sink = new RecordingSink();
    const remote = new SimplePeer({ wrtc: wrtc as never, config: { iceServers: [] } });
    remote.once('connect', () => remote.send(WEBRTC_ANSWERER_READY)); // all a plain answering peer adds
    const dial = transport.dial({
      initiator: true,
      sink,
      abort: new AbortController().signal,
      stage: () => {},
      sendSignal: (signal) => remote.signal(JSON.parse(JSON.stringify(signal))),
    });
    remote.on('signal', (signal) => dial.signal(JSON.parse(JSON.stringify(signal))));
    const received = new Promise<Uint8Array>((resolve) => remote.once('data', resolve));
    const remoteClosed = new Promise((resolve) => remote.once('close', resolve));
    const pipe = await dial.pipe;
    pipe.send(new Uint8Array([1, 2, 3]));
    expect([...(await received)]).toEqual([1, 2, 3]);
    remote.send(new Uint8Array([4, 5]));
    await sink.until(() => sink.frames.length === 1, 'a frame');
    expect(sink.frames.map((frame) => [...frame])).toEqual([[4, 5]]); // ANSWERER_READY is not a frame
    remote.destroy();
    await Promise.all([sink.untilClosed(), remoteClosed]);
    expect(sink.closes).toEqual([undefined]);
    // Raw simple-peer never clears this 5 s timer (see README, "Clean exit").
    clearTimeout((remote as unknown as { _iceCompleteTimer: ReturnType<typeof setTimeout> })._iceCompleteTimer);
  });

  it('an initiator whose answering side starts with anything but ANSWERER_READY fails at the channel stage', async () => {
    const remote = new SimplePeer({ wrtc: wrtc as never, config: { iceServers: [] } });
    remote.once('connect', () => remote.send(new Uint8Array([1, 2, 3]))); // a frame, not the ready message
    const dial = transport.dial({
      initiator: true,
      sink: new RecordingSink(),
      abort: new AbortController().signal,
      stage: () => {},
      sendSignal: (signal) => remote.signal(JSON.parse(JSON.stringify(signal))),
    });
    remote.on('signal', (signal) => dial.signal(JSON.parse(JSON.stringify(signal))));
    const remoteClosed = new Promise((resolve) => remote.once('close', resolve));
    const error = await dial.pipe.then(
      () => new Error('expected the dial to fail'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ stage: 'channel' });
    expect((error as Error).message).toMatch(/did not start with the ready message/);
    await remoteClosed; // failing, our side closed the peer connection
    clearTimeout((remote as unknown as { _iceCompleteTimer: ReturnType<typeof setTimeout> })._iceCompleteTimer);
  });

  it('dispose() closes open pipes cleanly, fails pending dials and refuses new ones', async () => {
    const own = scoped({});
    const p = await openPair(own);
    const pending = own.dial({ initiator: true, sink: new RecordingSink(), abort: new AbortController().signal, stage: () => {}, sendSignal: () => {} });
    expect(own.liveSessions).toBe(3);
    await own.dispose();
    expect(own.liveSessions).toBe(0);
    expect(p.a.sink.closes).toEqual([undefined]);
    await p.b.sink.untilClosed();
    expect(p.b.sink.closes).toEqual([undefined]);
    await expect(pending.pipe).rejects.toMatchObject({ stage: 'signaling', message: expect.stringContaining('the transport was shut down') });
    const late = own.dial({ initiator: true, sink: new RecordingSink(), abort: new AbortController().signal, stage: () => {}, sendSignal: () => {} });
    await expect(late.pipe).rejects.toBeInstanceOf(TransportError);
  });
});

describe('simple-peer plugin', () => {
  const local = { id: '0123456789abcdefghijklmnop', name: 'Tester' };

  it('registers the transport and closes its peers on shutdown', async () => {
    const host = new PluginHost({ plugins: [webrtc(), simplePeer()], local });
    await host.start();
    const status = (name: string) => host.plugins().find((p) => p.name === name);
    expect(status('simple-peer')).toMatchObject({ name: 'simple-peer', state: 'active', transports: ['simple-peer'], dependencies: ['webrtc'] });
    // The ICE servers are the webrtc plugin's option, shared by every WebRTC plugin.
    expect(status('webrtc')!.optionsSchema).toMatchObject({ properties: { iceServers: { type: 'array' } } });
    expect(status('simple-peer')!.optionsSchema).toMatchObject({ properties: { maxFrameSize: { type: 'integer' } } });
    const registered = host.transports.get('simple-peer') as SimplePeerTransport;
    const p = await openPair(registered);
    await host.stop();
    expect(registered.liveSessions).toBe(0);
    await Promise.all([p.a.sink.untilClosed(), p.b.sink.untilClosed()]);
    expect([...p.a.sink.closes, ...p.b.sink.closes]).toEqual([undefined, undefined]);
  });

  it('runs each new dial with the ICE servers the webrtc plugin has then (settings apply live)', async () => {
    const configs: (RTCConfiguration | undefined)[] = [];
    const recording: WebRtcEngine = {
      ...wrtc,
      RTCPeerConnection: class extends wrtc.RTCPeerConnection {
        constructor(configuration?: RTCConfiguration) {
          super(configuration);
          configs.push(configuration);
        }
      } as WebRtcEngine['RTCPeerConnection'],
    };
    const host = new PluginHost({ plugins: [webrtc({ engine: recording }), simplePeer()], local });
    await host.start();
    const registered = host.transports.get('simple-peer') as SimplePeerTransport;
    const dial = () =>
      registered.dial({ initiator: true, sink: new RecordingSink(), abort: new AbortController().signal, stage: () => {}, sendSignal: () => {} });
    dial();
    const stun = { urls: 'stun:127.0.0.1:9' };
    host.configure('webrtc', { iceServers: [stun] }); // the engine, not in the form, stays
    dial();
    expect(configs.map((config) => config?.iceServers)).toEqual([[], [stun]]);
    await host.stop();
  });

  it('refuses bad options naming the field', async () => {
    const errors: string[] = [];
    const host = new PluginHost({
      plugins: [webrtc(), simplePeer({ maxFrameSize: 10 })],
      local,
    });
    host.on('plugin-error', (e) => errors.push(e.error.message));
    await host.start();
    expect(errors[0]).toContain('[plugin simple-peer] has invalid options');
    expect(errors[0]).toContain('maxFrameSize');
    await host.stop();
  });

  it('needs the webrtc plugin, and fails with it', async () => {
    const errors: string[] = [];
    const host = new PluginHost({ plugins: [simplePeer()], local });
    host.on('plugin-error', (e) => errors.push(e.error.message));
    await host.start();
    expect(errors).toEqual(['[plugin simple-peer] depends on plugin webrtc, which is not in the config']);
    await host.stop();
  });
});
