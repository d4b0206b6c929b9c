/**
 * The peerjs method through a real local broker (loopback only, no ICE servers): invites,
 * answers, incoming requests, failures by stage, the broker-message checkpoint, engine
 * injection, shutdown, and globals. Core's conformance suite (conformance.test.ts) covers the
 * pipe contract itself.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TransportError, type IncomingAttempt, type SignalingServices } from '@whatnext/core';
import { CHANNEL_BUFFER_LIMIT, WebRtcOptions, createWebRtc, loadDefaultEngine, type WebRtcEngine } from '../webrtc';
import { candidatesTo, silentUdp } from '../webrtc/testing/ice-servers';
import { startBroker, type Broker } from './broker';
import { ALICE, BOB, CAROL, fakeAttempt, recordingEngine } from './testing/peers';
import { twoPeers, type TwoPeers } from './testing/two-peers';
import { inviteParams } from './link';
import { createPeerjsMethod } from './method';
import { PeerjsOptions } from './options';
import { loadPeerJs } from './peerjs-client';

const GLOBALS = ['RTCPeerConnection', 'RTCSessionDescription', 'RTCIceCandidate', 'RTCDataChannel', 'WebSocket', 'window', 'navigator', 'location'];
const globalsAtStart = snapshotGlobals();

function snapshotGlobals(): Record<string, unknown> {
  return Object.fromEntries(GLOBALS.map((name) => [name, (globalThis as Record<string, unknown>)[name]]));
}

type HealthReport = Parameters<SignalingServices['health']>[0];

/** Incoming attempts reported to a listener, one at a time, and the health it was told. */
function incomingQueue() {
  const attempts: IncomingAttempt[] = [];
  const waiters: ((attempt: IncomingAttempt) => void)[] = [];
  const health: HealthReport[] = [];
  const healthWaiters = new Set<() => void>();
  const services: SignalingServices = {
    local: BOB,
    incoming: (attempt) => {
      const waiter = waiters.shift();
      if (waiter) waiter(attempt);
      else attempts.push(attempt);
    },
    health: (report) => {
      health.push(report);
      for (const waiter of [...healthWaiters]) waiter();
    },
  };
  return {
    services,
    health,
    next: () => new Promise<IncomingAttempt>((resolve) => (attempts.length ? resolve(attempts.shift()!) : waiters.push(resolve))),
    /** Resolves with the first report in `state` after the `from`-th. */
    health$: (state: HealthReport['state'], from = 0) =>
      new Promise<HealthReport>((resolve) => {
        const check = () => {
          const found = health.slice(from).find((report) => report.state === state);
          if (!found) return;
          healthWaiters.delete(check);
          resolve(found);
        };
        healthWaiters.add(check);
        check();
      }),
  };
}

/** A port on loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<TransportError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

describe('peerjs method through a local broker', () => {
  let peers: TwoPeers;
  const incoming = incomingQueue();

  beforeAll(async () => {
    peers = await twoPeers(ALICE, BOB);
    peers.methodB.listen!(incoming.services);
  });
  afterAll(async () => {
    await peers?.close();
  });

  it('invite and answer open a pipe: stages in order, remote claimed, frames intact, clean close', async () => {
    const { a, b, attemptA, attemptB } = await peers.pair();
    expect(attemptA.stages).toEqual(['signaling', 'ice', 'channel']);
    expect(attemptB.stages).toEqual(['signaling', 'ice', 'channel']);
    expect(attemptA.claims).toEqual([{ id: BOB.id, name: BOB.name }]);
    expect(a.maxFrameSize).toBe(64 * 1024);
    expect(a.lowWaterMark).toBe(256 * 1024);
    expect(a.bufferedAmount!()).toBe(0);

    const full = new Uint8Array(a.maxFrameSize).map((_, i) => (i * 31) & 0xff);
    const backing = new Uint8Array(64).map((_, i) => i);
    a.send(full);
    a.send(backing.subarray(8, 16)); // a view: only its own bytes travel
    b.send(Uint8Array.of(42));
    expect(Array.from(await attemptB.sink.nextFrame())).toEqual(Array.from(full));
    expect(Array.from(await attemptB.sink.nextFrame())).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(Array.from(await attemptA.sink.nextFrame())).toEqual([42]);
    expect(() => a.send(new Uint8Array(a.maxFrameSize + 1))).toThrow(RangeError); // one pipe for both plugins: as simple-peer's

    b.close();
    expect(await attemptA.sink.closed$).toBeUndefined();
    expect(attemptB.sink.closes).toEqual([undefined]);
    expect(() => a.send(Uint8Array.of(1))).toThrow(TransportError);
    a.close();
    expect(attemptA.sink.closes).toEqual([undefined]);
  });

  it("carries each side's nonce through the broker (link, metadata), no hello, and reports both DTLS bindings", async () => {
    const attemptA = fakeAttempt(ALICE);
    attemptA.handshake.hello = { from: 'alice' };
    const inviting = peers.methodA.invite(attemptA.ctx);
    const invite = await attemptA.invite;
    expect(invite.params.hn).toBe(attemptA.ctx.handshake.nonce);
    const attemptB = fakeAttempt(BOB, { inviteToken: invite.token });
    attemptB.handshake.hello = { from: 'bob' };
    const [a, b] = await Promise.all([inviting, peers.methodB.answer(peers.methodB.parseLink(invite.params), attemptB.ctx)]);
    expect(attemptB.handshake.nonces).toEqual([attemptA.ctx.handshake.nonce]); // from the link
    expect(attemptA.handshake.nonces).toEqual([attemptB.ctx.handshake.nonce]); // in the metadata
    // PeerJS's messages are not ours to add to: the hellos (proofs made ahead) go on the pipe.
    expect(attemptA.handshake.hellos).toEqual([]);
    expect(attemptB.handshake.hellos).toEqual([]);
    // Each side's fingerprints from its own SDP, and the other's from the SDP it applied.
    expect(attemptA.sink.bindings.local).toMatch(/^sha-256 [0-9A-F:]{95}$/);
    expect(attemptB.sink.bindings.local).toMatch(/^sha-256 [0-9A-F:]{95}$/);
    expect(attemptA.sink.bindings.remote).toBe(attemptB.sink.bindings.local);
    expect(attemptB.sink.bindings.remote).toBe(attemptA.sink.bindings.local);
    a.close();
    expect(await attemptB.sink.closed$).toBeUndefined();
    b.close();
  });

  it('close() with frames in flight: the remote gets an in-order prefix, then a clean close', async () => {
    // libwebrtc's SCTP layer holds up to about 2 MiB that bufferedAmount does not report and that
    // closing discards; the pipe only flushes what it can see. Delivery up to a close is what
    // core's close handshake (close frame, then wait for the remote) guarantees.
    const { a, attemptB } = await peers.pair();
    const frames = Array.from({ length: 40 }, (_, i) => new Uint8Array(a.maxFrameSize).fill(i));
    for (const frame of frames) a.send(frame);
    a.close();
    expect(await attemptB.sink.closed$).toBeUndefined();
    const got = attemptB.sink.frames.map((frame) => [frame.byteLength, frame[0], frame.at(-1)]);
    expect(got).toEqual(frames.slice(0, got.length).map((_, i) => [a.maxFrameSize, i, i]));
  });

  it('a request without an invite waits for the host; a refusal reaches the asker with its reason, before any ICE', async () => {
    const attemptA = fakeAttempt(ALICE);
    const asking = peers.methodA.answer(peers.methodA.parseLink(inviteParams(peers.broker, BOB.id)), attemptA.ctx);
    const request = await incoming.next();
    expect(request).toMatchObject({ method: 'peerjs', remote: { id: ALICE.id, name: ALICE.name } });
    expect(request.token).toBeUndefined();
    expect(attemptA.stages).toEqual(['signaling']); // the offer is held: no answer, no ICE yet
    request.reject('not today');
    const error = await rejection(asking);
    expect(error.stage).toBe('signaling');
    expect(error.message).toMatch(/refused the connection: not today/);
  });

  it('an accepted request opens a pipe, and a token that matches no invite is passed along', async () => {
    const attemptA = fakeAttempt(ALICE, { inviteToken: 'unknown-token-123' });
    const asking = peers.methodA.answer(peers.methodA.parseLink(inviteParams(peers.broker, BOB.id)), attemptA.ctx);
    const request = await incoming.next();
    expect(request.token).toBe('unknown-token-123');
    const attemptB = fakeAttempt(BOB);
    const [a, b] = await Promise.all([asking, request.accept(attemptB.ctx)]);
    expect(attemptB.stages).toEqual(['signaling', 'ice', 'channel']);
    a.send(Uint8Array.of(1, 2, 3));
    expect(Array.from(await attemptB.sink.nextFrame())).toEqual([1, 2, 3]);
    a.close();
    expect(await attemptB.sink.closed$).toBeUndefined();
    b.close();
    expect(attemptB.sink.closes).toHaveLength(1);
    // Accepting the same request twice cannot produce a second connection.
    await rejection(request.accept(fakeAttempt(BOB).ctx));
  });

  it('a cancelled invite rejects at signaling and its token stops working', async () => {
    const attemptA = fakeAttempt(ALICE);
    const inviting = peers.methodA.invite(attemptA.ctx);
    const invite = await attemptA.invite;
    attemptA.controller.abort(new Error('user closed the invite'));
    const error = await rejection(inviting);
    expect(error.stage).toBe('signaling');
    expect(error.message).toMatch(/user closed the invite/);
    // Alice does not listen for requests here (methodA.listen was never called): the late
    // answer is refused.
    const attemptB = fakeAttempt(BOB, { inviteToken: invite.token });
    const late = await rejection(peers.methodB.answer(peers.methodB.parseLink(invite.params), attemptB.ctx));
    expect(late.message).toMatch(/not taking connection requests/);
  });

  it('a peer the broker does not know fails at signaling', async () => {
    const attemptA = fakeAttempt(ALICE);
    const nobody = 'cccccccccccccccccccccccccc';
    const error = await rejection(peers.methodA.answer(peers.methodA.parseLink(inviteParams(peers.broker, nobody)), attemptA.ctx));
    expect(error.stage).toBe('signaling');
    expect(error.message).toMatch(/not connected to the PeerJS broker/);
  });

  it('a dialer whose answering side starts with anything but ANSWERER_READY fails at the channel stage', async () => {
    // A plain PeerJS client (not this plugin) answers, and starts with a frame instead.
    const engine = loadDefaultEngine();
    const peerjs = loadPeerJs({ ...engine, WebSocket: WebSocket as never });
    const plain = new peerjs.Peer(CAROL.id, {
      host: peers.broker.host,
      port: peers.broker.port,
      path: peers.broker.path,
      key: peers.broker.key,
      secure: false,
      config: { iceServers: [] },
    });
    try {
      await new Promise((resolve, reject) => {
        plain.once('open', resolve);
        plain.once('error', reject);
      });
      plain.on('connection', (conn) => conn.once('open', () => conn.dataChannel.send(Uint8Array.of(1, 2, 3))));
      const attemptA = fakeAttempt(ALICE);
      const error = await rejection(peers.methodA.answer(peers.methodA.parseLink(inviteParams(peers.broker, CAROL.id)), attemptA.ctx));
      expect(error.stage).toBe('channel');
      expect(error.message).toMatch(/did not start with the ready message/);
      expect(attemptA.sink.frames).toEqual([]);
    } finally {
      plain.destroy();
    }
  });

  it('the broker checkpoint refuses offers PeerJS would mishandle, and the peer keeps working', async () => {
    const url = `ws://127.0.0.1:${peers.broker.port}${peers.broker.path}/peerjs?key=${peers.broker.key}&id=mallory&token=t0k3n&version=1.5.5`;
    const mallory = new WebSocket(url);
    const messages: { type: string; src?: string; payload?: { connectionId?: string; reason?: string } }[] = [];
    const waiters: (() => void)[] = [];
    mallory.on('message', (data) => {
      messages.push(JSON.parse(data.toString()));
      waiters.splice(0).forEach((wake) => wake());
    });
    const until = (test: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => (test() ? resolve() : waiters.push(check));
        check();
      });
    try {
      await until(() => messages.some((m) => m.type === 'OPEN'));
      const sdp = { type: 'offer', sdp: 'v=0\r\n' };
      const offer = (connectionId: string, extra: Record<string, unknown>) =>
        mallory.send(
          JSON.stringify({
            type: 'OFFER',
            dst: BOB.id,
            payload: { sdp, type: 'data', connectionId, label: 'x', serialization: 'raw', reliable: true, metadata: { id: 'mallory' }, ...extra },
          }),
        );
      offer('dc_binary', { serialization: 'binary' }); // PeerJS would BinaryPack-decode our frames
      offer('dc_proto', { serialization: 'toString' }); // PeerJS would throw `new undefined`
      offer('dc_unordered', { reliable: false });
      offer('dc_noname', { metadata: null });
      offer('dc_liar', { metadata: { id: ALICE.id } }); // claims to be Alice
      mallory.send(JSON.stringify({ type: 'CANDIDATE', dst: BOB.id, payload: { type: 'data', connectionId: 'dc_unknown', candidate: { candidate: 'x' } } }));
      mallory.send('not json');
      const refusals = () => messages.filter((m) => m.type === 'EXPIRE' && m.src === BOB.id);
      await until(() => refusals().length === 5);
      const reasons = Object.fromEntries(refusals().map((m) => [m.payload!.connectionId, m.payload!.reason]));
      expect(reasons).toEqual({
        dc_binary: 'this peer only takes reliable raw data connections from WhatNext peers',
        dc_proto: 'this peer only takes reliable raw data connections from WhatNext peers',
        dc_unordered: 'this peer only takes reliable raw data connections from WhatNext peers',
        dc_noname: 'the request does not say who is asking',
        dc_liar: 'the request claims an id other than the one it is registered with',
      });
    } finally {
      mallory.terminate();
    }
    // Nothing reached the host, and Bob still connects.
    const { a, attemptB } = await peers.pair();
    a.close();
    await attemptB.sink.closed$;
  });
});

describe('peerjs method failures and lifecycle', () => {
  it('an unreachable broker fails invite and answer at signaling, naming the broker', async () => {
    const port = await closedPort();
    const options = PeerjsOptions.parse({ port });
    const method = createPeerjsMethod({ options, webrtc: createWebRtc(), local: ALICE, log: () => {} });
    try {
      const invite = await rejection(method.invite(fakeAttempt(ALICE).ctx));
      expect(invite.stage).toBe('signaling');
      expect(invite.message).toMatch(new RegExp(`Could not reach the PeerJS broker at ws://127\\.0\\.0\\.1:${port}/whatnext: .*ECONNREFUSED`));
      const target = method.parseLink(inviteParams({ host: '127.0.0.1', port, path: '/other', key: 'peerjs', secure: false }, BOB.id));
      const answer = await rejection(method.answer(target, fakeAttempt(ALICE).ctx));
      expect(answer.stage).toBe('signaling');
      expect(answer.message).toMatch(/\/other/);
    } finally {
      await method.shutdown();
    }
  });

  it('a second registration of the same peer id is refused at signaling', async () => {
    const broker = await startBroker({ port: 0 });
    const options = PeerjsOptions.parse({ port: broker.port });
    const first = createPeerjsMethod({ options, webrtc: createWebRtc(), local: ALICE, log: () => {} });
    const second = createPeerjsMethod({ options, webrtc: createWebRtc(), local: ALICE, log: () => {} });
    try {
      const attempt = fakeAttempt(ALICE);
      const inviting = first.invite(attempt.ctx);
      await attempt.invite; // registered
      const error = await rejection(second.invite(fakeAttempt(ALICE).ctx));
      expect(error.stage).toBe('signaling');
      expect(error.message).toMatch(/refused our peer id: it is already registered/);
      attempt.controller.abort();
      await rejection(inviting);
    } finally {
      await Promise.all([first.shutdown(), second.shutdown()]);
      await broker.close();
    }
  });

  it('open pipes survive a broker outage, the listener hears the health at each step, and it registers again once the broker is back', async () => {
    const peers = await twoPeers(ALICE, BOB);
    let restarted: Broker | undefined;
    try {
      const queue = incomingQueue();
      const registered = peers.nextLog(/^Bob info: registered/);
      peers.methodB.listen!(queue.services);
      await registered;
      await queue.health$('connected');
      expect(queue.health.map((h) => h.state)).toEqual(['connecting', 'connected']);
      const { a, attemptB } = await peers.pair();

      const before = queue.health.length;
      await peers.broker.close();
      expect(await queue.health$('retrying', before)).toEqual({
        state: 'retrying',
        message: expect.stringContaining(`Lost the connection to the PeerJS broker`),
      });
      a.send(Uint8Array.of(7)); // peer to peer: the broker is not needed any more
      expect(Array.from(await attemptB.sink.nextFrame())).toEqual([7]);

      const reRegistered = peers.nextLog(/^Bob info: registered/);
      const down = queue.health.length;
      restarted = await startBroker({ port: peers.broker.port });
      await reRegistered;
      await queue.health$('connected', down);
      // Alice (not listening) registers again on demand and reaches Bob's listener.
      const attemptA = fakeAttempt(ALICE);
      const asking = peers.methodA.answer(peers.methodA.parseLink(inviteParams(restarted, BOB.id)), attemptA.ctx);
      (await queue.next()).reject('just checking');
      expect((await rejection(asking)).message).toMatch(/just checking/);

      a.send(Uint8Array.of(8));
      expect(Array.from(await attemptB.sink.nextFrame())).toEqual([8]);
      a.close();
      expect(await attemptB.sink.closed$).toBeUndefined();
    } finally {
      await peers.close();
      await restarted?.close();
    }
  });

  it('a channel that stops taking frames while some wait in the pipe ends the pipe, with nothing thrown from the drain timer', async () => {
    const { engine, channels } = await recordingEngine();
    const peers = await twoPeers(ALICE, BOB, { engine });
    // Thrown from a timer, an engine error would end a service process; here it is counted.
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const { b, attemptA, attemptB } = await peers.pair();
      // Bob dialed, so his side created the channel (PeerJS's support probes made the others).
      const channel = channels.find((made) => made.readyState === 'open')!;
      const frame = new Uint8Array(b.maxFrameSize);
      // The engine sends on its own thread while this loop runs, so the channel may drain as fast
      // as we fill it: send until frames wait in the pipe (above the channel's limit), within a bound.
      const bound = 16 * Math.ceil(CHANNEL_BUFFER_LIMIT / frame.byteLength);
      for (let i = 0; i < bound && b.bufferedAmount!() <= CHANNEL_BUFFER_LIMIT; i++) b.send(frame);
      expect(b.bufferedAmount!()).toBeGreaterThan(CHANNEL_BUFFER_LIMIT); // some wait in the pipe
      // Closed under the pipe: its state leaves 'open' at once, while the 'close' event waits for
      // the channel's buffer to go out; a send in between throws. The drain timer ticks meanwhile.
      const send = channel.send.bind(channel);
      const refused: unknown[] = [];
      channel.send = (data: never) => {
        try {
          send(data);
        } catch (error) {
          refused.push(error);
          throw error;
        }
      };
      channel.close();
      expect(channel.readyState).toBe('closing');
      await Promise.all([attemptB.sink.closed$, attemptA.sink.closed$]);
      expect(refused).toHaveLength(1); // the timer met the closing channel once, and stopped there
      expect(uncaught).toEqual([]);
      expect(() => b.send(frame)).toThrow(TransportError);
    } finally {
      process.off('uncaughtException', onUncaught);
      await peers.close();
    }
  });

  it('a dial the engine cannot make a peer connection for fails at signaling, and the next dial connects', async () => {
    const { engine } = await recordingEngine();
    let refuse = false;
    const flaky: WebRtcEngine = {
      ...engine,
      RTCPeerConnection: class extends engine.RTCPeerConnection {
        constructor(config?: RTCConfiguration) {
          if (refuse) throw new Error('engine out of resources');
          super(config);
        }
      },
    };
    const peers = await twoPeers(ALICE, BOB, { engine: flaky });
    try {
      const first = await peers.pair(); // takes the connections made ahead as the peers registered
      refuse = true;
      const noSpare = peers.nextLog(/^Bob debug: .*could not make a peer connection ahead: .*engine out of resources/);
      first.a.close(); // once it ends, Bob's side makes the next one ahead
      await noSpare;

      const attemptA = fakeAttempt(ALICE);
      const inviting = peers.methodA.invite(attemptA.ctx);
      const invite = await attemptA.invite;
      const failed = await rejection(peers.methodB.answer(peers.methodB.parseLink(invite.params), fakeAttempt(BOB, { inviteToken: invite.token }).ctx));
      expect(failed.stage).toBe('signaling');
      expect(failed.message).toMatch(/Could not start a WebRTC peer connection: .*engine out of resources/);

      refuse = false;
      const attemptB = fakeAttempt(BOB, { inviteToken: invite.token });
      const [a, b] = await Promise.all([inviting, peers.methodB.answer(peers.methodB.parseLink(invite.params), attemptB.ctx)]);
      b.send(Uint8Array.of(2));
      expect(Array.from(await attemptA.sink.nextFrame())).toEqual([2]);
      a.close();
      await attemptB.sink.closed$;
    } finally {
      await peers.close();
    }
  });

  it("fails at ice, saying a relay (TURN) server is needed and where, when ICE finds no path (~15 s: libwebrtc's own timeout)", async () => {
    // Each side hears of the other's candidates as pointing at a port on loopback that never
    // answers, so no check gets through; a STUN server that never answers gives no public address.
    const nobody = await silentUdp();
    const engine = loadDefaultEngine();
    class Unreachable extends engine.RTCPeerConnection {
      constructor(config?: RTCConfiguration) {
        super(config);
        const add = this.addIceCandidate.bind(this) as (candidate?: RTCIceCandidateInit) => Promise<void>;
        const setRemote = this.setRemoteDescription.bind(this);
        Object.assign(this, {
          addIceCandidate: (candidate?: RTCIceCandidateInit) =>
            add(candidate?.candidate ? { ...candidate, candidate: candidatesTo(candidate.candidate, nobody.port) } : candidate),
          setRemoteDescription: (description: RTCSessionDescriptionInit) =>
            setRemote({ ...description, sdp: candidatesTo(description.sdp ?? '', nobody.port) }),
        });
      }
    }
    const peers = await twoPeers(ALICE, BOB, {
      engine: { ...engine, RTCPeerConnection: Unreachable },
      iceServers: [{ urls: `stun:127.0.0.1:${nobody.port}` }],
    });
    try {
      const attemptA = fakeAttempt(ALICE);
      const inviting = peers.methodA.invite(attemptA.ctx);
      const invite = await attemptA.invite;
      const attemptB = fakeAttempt(BOB, { inviteToken: invite.token });
      const failures = await Promise.all([rejection(inviting), rejection(peers.methodB.answer(peers.methodB.parseLink(invite.params), attemptB.ctx))]);
      for (const failure of failures) {
        expect(failure.stage).toBe('ice');
        expect(failure.message).toBe(
          'PeerJS: ice failed: no direct path to the remote was found (and the STUN server gave this side no public address): a NAT or firewall between you ' +
            'blocks it, so a relay (TURN) server is needed. Add a TURN server in Settings → Plugins → webrtc (or plugins.config.ts).',
        );
      }
      expect(attemptA.stages).toEqual(['signaling', 'ice']);
      expect(attemptB.stages).toEqual(['signaling', 'ice']);
    } finally {
      await peers.close();
      await nobody.close();
    }
  });

  it('makes the next peer connection ahead, once a connection ended: setting up the next one makes none', async () => {
    const { engine, created, createdCount } = await recordingEngine();
    const peers = await twoPeers(ALICE, BOB, { engine });
    try {
      const first = await peers.pair();
      // Per side: PeerJS's support probe, and the connection (made as the peer registered).
      expect(created).toHaveLength(4);
      first.a.send(Uint8Array.of(1));
      await first.attemptB.sink.nextFrame();
      expect(created).toHaveLength(4); // none while a connection is being set up or in use
      first.a.close();
      await first.attemptB.sink.closed$;
      await createdCount(6); // each side's next, made once its connection ended
      const second = await peers.pair();
      expect(created).toHaveLength(6);
      // Both connections run on the ones made ahead, which are open and in use.
      expect(created.slice(4).map((pc) => pc.connectionState)).toEqual(['connected', 'connected']);
      second.b.send(Uint8Array.of(3));
      expect(await second.attemptA.sink.nextFrame()).toEqual(Uint8Array.of(3));
    } finally {
      await peers.close();
    }
    expect(created.every((pc) => pc.signalingState === 'closed')).toBe(true);
  });

  it('connects with the ICE servers the webrtc plugin has at that moment (settings apply to the next connection)', async () => {
    const { engine, created } = await recordingEngine();
    const peers = await twoPeers(ALICE, BOB, { engine });
    const stun = { urls: 'stun:127.0.0.1:9' };
    const servers = (pc: RTCPeerConnection) => JSON.stringify(pc.getConfiguration().iceServers);
    try {
      const first = await peers.pair();
      const inUse = () => created.filter((pc) => pc.connectionState === 'connected');
      expect(inUse().map(servers)).toEqual(['[]', '[]']);
      first.a.close();
      await first.attemptB.sink.closed$;
      peers.webrtcB.configure(WebRtcOptions.parse({ engine, iceServers: [stun] }));
      await peers.pair(); // made ahead before the change or after, Bob's next one has the new servers
      expect(inUse().map(servers).sort()).toEqual(['[]', JSON.stringify([stun])].sort());
    } finally {
      await peers.close();
    }
  });

  it('keeps no peer connection made ahead once no broker session is left to use it', async () => {
    // Carol listens nowhere (her own broker is never reached): she registers on Alice's broker
    // only to answer Alice's link, and that registration ends with its connection.
    const { engine, created, allClosed } = await recordingEngine();
    const peers = await twoPeers(ALICE, BOB);
    const options = PeerjsOptions.parse({ port: await closedPort(), listen: false });
    const carol = createPeerjsMethod({ options, webrtc: createWebRtc({ engine }), local: CAROL, log: () => {} });
    try {
      const attemptA = fakeAttempt(ALICE);
      const inviting = peers.methodA.invite(attemptA.ctx);
      const invite = await attemptA.invite;
      const attemptC = fakeAttempt(CAROL, { inviteToken: invite.token });
      const [a, c] = await Promise.all([inviting, carol.answer(carol.parseLink(invite.params), attemptC.ctx)]);
      a.send(Uint8Array.of(1));
      await attemptC.sink.nextFrame();
      // PeerJS's support probe, and the connection's (made ahead as she registered).
      expect(created).toHaveLength(2);
      c.close();
      await attemptA.sink.closed$;
      await allClosed();
      // No next one: her only broker session ended with the connection. (The end queued its
      // making ahead with setImmediate before this one: it has had its turn.)
      await new Promise((resolve) => setImmediate(resolve));
      expect(created).toHaveLength(2);
    } finally {
      await carol.shutdown();
      await peers.close();
    }
  });

  it('uses an injected engine, closes every peer connection at shutdown, and leaks no globals', async () => {
    const { engine, created } = await recordingEngine();
    const peers = await twoPeers(ALICE, BOB, { engine });
    let closedEarly = false;
    try {
      const { attemptA, attemptB } = await peers.pair();
      // Two per side: PeerJS's support probe (closed at once) and the connection (made ahead,
      // as the peer registered).
      expect(created.length).toBe(4);
      expect(created.filter((pc) => pc.connectionState !== 'closed')).toHaveLength(2);
      await Promise.all([peers.methodA.shutdown(), peers.methodB.shutdown()]);
      closedEarly = true;
      // Shutdown closed the open pipes (cleanly: it is a local close) and every connection.
      await Promise.all([attemptA.sink.closed$, attemptB.sink.closed$]);
      expect(attemptA.sink.closes).toEqual([undefined]);
      expect(attemptB.sink.closes).toEqual([undefined]);
      expect(created.map((pc) => pc.signalingState)).toEqual(['closed', 'closed', 'closed', 'closed']);
      const after = await rejection(peers.methodA.invite(fakeAttempt(ALICE).ctx));
      expect(after.message).toMatch(/shutting down/);
    } finally {
      if (!closedEarly) await Promise.all([peers.methodA.shutdown(), peers.methodB.shutdown()]);
      await peers.broker.close();
    }
    expect(snapshotGlobals()).toEqual(globalsAtStart);
    expect('RTCPeerConnection' in globalThis).toBe(false);
  });
});
