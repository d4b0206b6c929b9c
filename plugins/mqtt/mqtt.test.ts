/**
 * The mqtt method through a real Mosquitto the test starts (loopback only, no ICE servers):
 * invites, answers, requests approved and refused, reach, cancel, hostile payloads, and a broker
 * outage. Core's conformance suite (conformance.test.ts) covers the pipe contract itself.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError, RefusedByPeerError, TransportError, WhatNextError } from '@whatnext/core';
import { ALICE, BOB, CAROL, fakeAttempt } from '../peerjs/testing/peers';
import { createWebRtc, loadDefaultEngine } from '../webrtc';
import { inviteParams, parseMqttLink } from './link';
import { MAX_PAYLOAD_BYTES, parseSignal, type SignalMessage } from './messages';
import { createMqttMethod, inboxTopic } from './method';
import { MqttOptions } from './options';
import { twoPeers, type TwoPeers } from './testing/two-peers';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('mqtt method through a real Mosquitto', () => {
  let peers: TwoPeers;
  let raw: MqttClient;
  const inboxOf = (id: string) => inboxTopic('whatnext/v1', id);

  beforeAll(async () => {
    peers = await twoPeers(ALICE, BOB);
    raw = await connectAsync(peers.broker.url, { reconnectPeriod: 0 });
    raw.on('error', () => undefined);
  });
  afterAll(async () => {
    await raw?.endAsync(true);
    await peers?.close();
  });

  it('invite and answer open a pipe: stages, claim, nonces, bindings, frames both ways, close from the inviter', async () => {
    const { a, b, attemptA, attemptB } = await peers.pair();
    expect(attemptA.stages[0]).toBe('signaling');
    expect(attemptB.stages).toEqual(['signaling', 'ice', 'channel']);
    expect(attemptA.claims).toEqual([{ id: BOB.id, name: BOB.name }]);
    // Each side got the other's nonce: the link carried A's, the offer B's.
    expect(attemptB.handshake.nonces).toEqual([attemptA.ctx.handshake.nonce]);
    expect(attemptA.handshake.nonces).toEqual([attemptB.ctx.handshake.nonce]);
    expect(attemptA.sink.bindings.local).toBe(attemptB.sink.bindings.remote);
    expect(attemptB.sink.bindings.local).toBe(attemptA.sink.bindings.remote);
    a.send(bytes(1, 2, 3));
    expect(await attemptB.sink.nextFrame()).toEqual(bytes(1, 2, 3));
    b.send(bytes(4));
    expect(await attemptA.sink.nextFrame()).toEqual(bytes(4));
    a.close();
    expect(await attemptB.sink.closed$).toBeUndefined();
  });

  it('closes from the answering side too', async () => {
    const { b, attemptA } = await peers.pair();
    b.close();
    expect(await attemptA.sink.closed$).toBeUndefined();
  });

  it('a request without an invite waits for the host; a refusal reaches the asker with its reason', async () => {
    const attempt = fakeAttempt(ALICE);
    const dialing = methodAnswer(peers, attempt, BOB.id);
    const incoming = await peers.listenB.nextIncoming();
    expect(incoming).toMatchObject({ method: 'mqtt', remote: { id: ALICE.id, name: ALICE.name } });
    expect(incoming.reconnect).toBeUndefined();
    incoming.reject('not today');
    const error = await dialing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefusedByPeerError);
    expect(error).toMatchObject({ code: 'refused_by_peer', stage: 'signaling' });
    expect((error as Error).message).toContain('not today');
    // Nothing of B's reached A: no ICE was started.
    expect(attempt.stages).toEqual(['signaling']);
  });

  it('an approved request opens a pipe', async () => {
    const attemptA = fakeAttempt(ALICE);
    const dialing = methodAnswer(peers, attemptA, BOB.id);
    const incoming = await peers.listenB.nextIncoming();
    const attemptB = fakeAttempt(BOB);
    const [a] = await Promise.all([dialing, incoming.accept(attemptB.ctx)]);
    a.send(bytes(9));
    expect(await attemptB.sink.nextFrame()).toEqual(bytes(9));
    a.close();
    await attemptB.sink.closed$;
  });

  it('reach dials a known peer by id, marked as a reconnection', async () => {
    const attemptA = fakeAttempt(ALICE);
    const reaching = peers.methodA.reach!(BOB.id, attemptA.ctx);
    const incoming = await peers.listenB.nextIncoming();
    expect(incoming).toMatchObject({ remote: { id: ALICE.id }, reconnect: true });
    const attemptB = fakeAttempt(BOB);
    const [a, b] = await Promise.all([reaching, incoming.accept(attemptB.ctx)]);
    b.send(bytes(7));
    expect(await attemptA.sink.nextFrame()).toEqual(bytes(7));
    a.close();
    await attemptB.sink.closed$;
  });

  it('anyone subscribed to an inbox sees the offers; the same offer delivered again is one request', async () => {
    const inbox = inboxOf(BOB.id);
    await raw.subscribeAsync(inbox, { qos: 1 });
    const seen = new Promise<Buffer>((resolve) => raw.once('message', (_topic, payload) => resolve(payload)));
    const attemptA = fakeAttempt(ALICE);
    const reaching = peers.methodA.reach!(BOB.id, attemptA.ctx);
    const offer = await seen;
    await raw.unsubscribeAsync(inbox);
    const incoming = await peers.listenB.nextIncoming();
    const before = peers.listenB.reported;
    const refused = peers.nextLog(/Bob warn: refused a message/);
    await raw.publishAsync(inbox, offer, { qos: 1 });
    // In order after the copy: once this one is refused, the copy has been read.
    await raw.publishAsync(inbox, 'after', { qos: 1 });
    await refused;
    expect(peers.listenB.reported).toBe(before);
    incoming.reject('no thanks');
    await expect(reaching).rejects.toMatchObject({ code: 'refused_by_peer' });
  });

  it('the approving side publishes nothing before a yes: a refused request gets the refusal alone; after approval the answer, then candidates', async () => {
    const seen = await watchInboxes(peers.broker.url);
    try {
      const refusedA = fakeAttempt(ALICE);
      const refusedDial = methodAnswer(peers, refusedA, BOB.id).catch((error: unknown) => error);
      const held = await peers.listenB.nextIncoming();
      const refusedOffer = await seen.next((m) => m.from === ALICE.id && m.type === 'offer');
      // The asker trickles: its candidates follow its offer while the request is held.
      await seen.next((m) => m.from === ALICE.id && m.type === 'candidate');
      held.reject('not now');
      await seen.next((m) => m.from === BOB.id && m.type === 'refuse');
      expect(await refusedDial).toMatchObject({ code: 'refused_by_peer' });
      // Bob published all his messages to Alice's inbox, one topic through one session: had he
      // sent an answer or a candidate before the refusal, it would have been delivered before it.
      expect(seen.messages.filter((m) => m.from === BOB.id).map((m) => m.type)).toEqual(['refuse']);

      const attemptA = fakeAttempt(ALICE);
      const dialing = methodAnswer(peers, attemptA, BOB.id);
      const incoming = await peers.listenB.nextIncoming();
      const offer = await seen.next((m) => m.from === ALICE.id && m.type === 'offer' && m.attempt !== refusedOffer.attempt);
      const candidate = await seen.next((m) => m.type === 'candidate' && m.attempt === offer.attempt);
      // A candidate for this attempt from someone else, to either side, is dropped.
      const dropped = peers.nextLogs(new RegExp(`debug: dropped an MQTT candidate from ${CAROL.id}`), 2);
      const spoofed = (to: string) => JSON.stringify({ ...candidate, from: CAROL.id, to });
      await raw.publishAsync(inboxOf(BOB.id), spoofed(BOB.id), { qos: 1 });
      await raw.publishAsync(inboxOf(ALICE.id), spoofed(ALICE.id), { qos: 1 });
      expect((await dropped).map((line) => line.split(' ')[0])).toEqual(expect.arrayContaining([ALICE.name, BOB.name]));
      const attemptB = fakeAttempt(BOB);
      const [a] = await Promise.all([dialing, incoming.accept(attemptB.ctx)]);
      await seen.next((m) => m.from === BOB.id && m.type === 'candidate' && m.attempt === offer.attempt);
      const bobs = seen.messages.filter((m) => m.from === BOB.id && m.attempt === offer.attempt).map((m) => m.type);
      expect(bobs[0]).toBe('answer');
      expect(bobs.slice(1).every((type) => type === 'candidate')).toBe(true);
      a.send(bytes(6));
      expect(await attemptB.sink.nextFrame()).toEqual(bytes(6));
      a.close();
      await attemptB.sink.closed$;
    } finally {
      await seen.close();
    }
  });

  it('a dialer that does not trickle (one complete description, its candidates in) still connects', async () => {
    const { RTCPeerConnection } = loadDefaultEngine();
    const pc = new RTCPeerConnection({ iceServers: [] });
    const legacy = await connectAsync(peers.broker.url, { reconnectPeriod: 0 });
    legacy.on('error', () => undefined);
    try {
      const channel = pc.createDataChannel('whatnext', { ordered: true });
      const opened = new Promise<void>((resolve) => (channel.onopen = () => resolve()));
      const gathered = new Promise<void>((resolve) => (pc.onicecandidate = (event) => event.candidate || resolve()));
      await pc.setLocalDescription(await pc.createOffer());
      await gathered;
      // As a peer from before trickling: it applies the answer and refuses what it cannot read.
      legacy.on('message', (_topic, payload) => {
        const message = parseSignal(payload);
        if (message.type === 'answer') void pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
      });
      await legacy.subscribeAsync(inboxOf(CAROL.id), { qos: 1 });
      const sdp = pc.localDescription!.sdp;
      expect(sdp).toMatch(/a=candidate:/);
      const offer = { v: 1, type: 'offer', from: CAROL.id, to: BOB.id, attempt: 'C'.repeat(22), sdp, name: CAROL.name };
      await legacy.publishAsync(inboxOf(BOB.id), JSON.stringify(offer), { qos: 1 });
      const incoming = await peers.listenB.nextIncoming();
      const attemptB = fakeAttempt(BOB);
      const [b] = await Promise.all([incoming.accept(attemptB.ctx), opened]);
      b.close();
    } finally {
      pc.close();
      await legacy.endAsync(true);
    }
  });

  it('a cancelled invite rejects at signaling; an offer to a peer that never answers ends when the attempt times out', async () => {
    const attemptA = fakeAttempt(ALICE);
    const inviting = peers.methodA.invite(attemptA.ctx);
    await attemptA.invite;
    attemptA.controller.abort(new Error('cancelled'));
    await expect(inviting).rejects.toMatchObject({ stage: 'signaling', message: expect.stringContaining('cancelled') });

    // CAROL is on no broker: the offer goes to her inbox (we watch it arrive), and nobody answers.
    await raw.subscribeAsync(inboxOf(CAROL.id), { qos: 1 });
    const offered = new Promise<void>((resolve) => raw.once('message', () => resolve()));
    const attemptB = fakeAttempt(BOB);
    const dialing = peers.methodB.reach!(CAROL.id, attemptB.ctx);
    await offered;
    attemptB.controller.abort(new TransportError('signaling', 'No answer within 30 s.'));
    await expect(dialing).rejects.toMatchObject({ stage: 'signaling', message: 'No answer within 30 s.' });
    await raw.unsubscribeAsync(inboxOf(CAROL.id));
  });

  it('refuses malformed, oversized and unmatched payloads with a typed error, and keeps working', async () => {
    const logged = peers.nextLogs(/Bob warn: refused a message/, 7);
    const inbox = inboxOf(BOB.id);
    const envelope = { v: 1, from: ALICE.id, attempt: 'A'.repeat(22) };
    const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    await raw.publishAsync(inbox, 'not json', { qos: 1 });
    await raw.publishAsync(inbox, JSON.stringify({ v: 1, type: 'offer', from: ALICE.id, to: BOB.id }), { qos: 1 });
    await raw.publishAsync(inbox, Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20), { qos: 1 });
    await raw.publishAsync(inbox, Buffer.from([0xff, 0xfe, 0x7b]), { qos: 1 });
    const badCandidate = (value: unknown) => JSON.stringify({ ...envelope, to: BOB.id, type: 'candidate', candidate: value });
    await raw.publishAsync(inbox, badCandidate({ ...candidate, candidate: 'x'.repeat(1025) }), { qos: 1 });
    await raw.publishAsync(inbox, badCandidate({ ...candidate, sdpMLineIndex: -1 }), { qos: 1 });
    await raw.publishAsync(inbox, badCandidate({ ...candidate, extra: true }), { qos: 1 });
    const lines = await logged;
    expect(lines.join('\n')).toMatch(
      /not UTF-8 JSON[\s\S]*not a WhatNext signal[\s\S]*over the 65536[\s\S]*not UTF-8 JSON[\s\S]*at candidate\.candidate[\s\S]*at candidate\.sdpMLineIndex[\s\S]*not a WhatNext signal/,
    );
    // A candidate for no attempt of Bob's: dropped, and said so (debug).
    const dropped = peers.nextLog(/Bob debug: dropped an MQTT candidate/);
    await raw.publishAsync(inbox, JSON.stringify({ ...envelope, to: BOB.id, type: 'candidate', candidate }), { qos: 1 });
    await dropped;
    // An answer and a refusal for no attempt of Bob's, and an offer to someone else: ignored.
    await raw.publishAsync(inbox, JSON.stringify({ ...envelope, to: BOB.id, type: 'answer', sdp: 'v=0' }), { qos: 1 });
    await raw.publishAsync(inbox, JSON.stringify({ ...envelope, to: BOB.id, type: 'refuse', reason: 'no' }), { qos: 1 });
    await raw.publishAsync(inbox, JSON.stringify({ ...envelope, to: CAROL.id, type: 'offer', sdp: 'v=0' }), { qos: 1 });
    const { a, attemptB } = await peers.pair();
    a.send(bytes(5));
    expect(await attemptB.sink.nextFrame()).toEqual(bytes(5));
    a.close();
    await attemptB.sink.closed$;
  });

  it('a message over the packet size the method asks for is not even delivered: the broker drops it', async () => {
    const refused = peers.nextLog(/Bob warn: refused a message/);
    const inbox = inboxOf(BOB.id);
    await raw.publishAsync(inbox, Buffer.alloc(1024 * 1024, 0x7b), { qos: 1 });
    // One publisher, one topic, one QoS: delivered in order, so the first refusal Bob logs is of
    // this one's successor if the large one never came.
    await raw.publishAsync(inbox, 'after', { qos: 1 });
    expect(await refused).toMatch(/not UTF-8 JSON$/);
    expect(peers.logs.filter((line) => line.includes('1048576'))).toEqual([]);
  });

  it('an engine that cannot make a peer connection fails the invite an offer arrives for, at signaling, and nothing else', async () => {
    const wrtc = loadDefaultEngine();
    const broken = createWebRtc({
      engine: {
        ...wrtc,
        RTCPeerConnection: class {
          constructor() {
            throw new Error('no WebRTC here');
          }
        } as unknown as typeof RTCPeerConnection,
      },
    });
    const carol = createMqttMethod({ options: MqttOptions.parse({ url: peers.broker.url }), webrtc: broken, local: CAROL, log: () => undefined });
    try {
      const attemptC = fakeAttempt(CAROL);
      const inviting = carol.invite(attemptC.ctx);
      const invite = await attemptC.invite;
      const attemptB = fakeAttempt(BOB, { inviteToken: invite.token });
      const answering = peers.methodB.answer(parseMqttLink(invite.params), attemptB.ctx);
      await expect(inviting).rejects.toMatchObject({ stage: 'signaling', message: expect.stringContaining('no WebRTC here') });
      attemptB.controller.abort(new TransportError('signaling', 'No answer.'));
      await expect(answering).rejects.toMatchObject({ message: 'No answer.' });
      // Carol's session is still up: her next invite is presented.
      const again = fakeAttempt(CAROL);
      const next = carol.invite(again.ctx);
      await again.invite;
      again.controller.abort(new Error('done'));
      await expect(next).rejects.toMatchObject({ stage: 'signaling' });
    } finally {
      await carol.shutdown();
    }
  });

  it('open pipes survive a broker outage; health goes retrying with the error, then connected once the broker is back', async () => {
    const { a, b, attemptA, attemptB } = await peers.pair();
    const retrying = Promise.all([peers.listenA.nextHealth('retrying'), peers.listenB.nextHealth('retrying')]);
    await peers.broker.kill();
    const [reportA] = await retrying;
    expect(reportA.message).toContain(peers.broker.url);
    a.send(bytes(8));
    expect(await attemptB.sink.nextFrame()).toEqual(bytes(8));

    const back = Promise.all([peers.listenA.nextHealth('connected'), peers.listenB.nextHealth('connected')]);
    await peers.broker.restart();
    await back;
    b.close();
    await attemptA.sink.closed$;
    const again = await peers.pair();
    again.a.close();
    await again.attemptB.sink.closed$;
  });
});

/** Every well-formed signal delivered on any inbox, in delivery order, to a client of its own. */
async function watchInboxes(url: string) {
  const client = await connectAsync(url, { reconnectPeriod: 0 });
  client.on('error', () => undefined);
  const messages: SignalMessage[] = [];
  const waiters = new Set<{ predicate(m: SignalMessage): boolean; resolve(m: SignalMessage): void }>();
  client.on('message', (_topic, payload) => {
    const message = parseSignal(payload);
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (!waiter.predicate(message)) continue;
      waiters.delete(waiter);
      waiter.resolve(message);
    }
  });
  await client.subscribeAsync('whatnext/v1/inbox/+', { qos: 1 });
  return {
    messages,
    /** The first message (seen already, or from now on) that matches. */
    next: (predicate: (m: SignalMessage) => boolean) =>
      new Promise<SignalMessage>((resolve) => {
        const found = messages.find(predicate);
        if (found) return resolve(found);
        waiters.add({ predicate, resolve });
      }),
    close: () => client.endAsync(true),
  };
}

/** A dials B's inbox with no invite token (a link whose invite is gone, say). */
function methodAnswer(peers: TwoPeers, attempt: ReturnType<typeof fakeAttempt>, to: string) {
  return peers.methodA.answer(parseMqttLink(inviteParams(peers.broker.url, 'whatnext/v1', to)), attempt.ctx);
}

describe('an unreachable broker', () => {
  it('fails invite and answer at signaling, naming the broker', async () => {
    const url = 'mqtt://127.0.0.1:1';
    const method = createMqttMethod({ options: MqttOptions.parse({ url }), webrtc: createWebRtc(), local: ALICE, log: () => undefined });
    try {
      const invite = await method.invite(fakeAttempt(ALICE).ctx).catch((e: unknown) => e);
      expect(invite).toMatchObject({ stage: 'signaling', message: expect.stringContaining(url) });
      const answer = await method.answer(parseMqttLink(inviteParams(url, 'whatnext/v1', BOB.id)), fakeAttempt(ALICE).ctx).catch((e: unknown) => e);
      expect(answer).toMatchObject({ stage: 'signaling', message: expect.stringContaining(url) });
    } finally {
      await method.shutdown();
    }
  });
});

describe('untrusted input', () => {
  it('parseSignal checks the size before anything, then JSON, then the shape', () => {
    const refused = (payload: Uint8Array) => {
      try {
        parseSignal(payload);
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
        return (error as WhatNextError).code;
      }
      return 'accepted';
    };
    expect(refused(new Uint8Array(MAX_PAYLOAD_BYTES + 1))).toBe('protocol_error');
    expect(refused(new TextEncoder().encode('{'))).toBe('protocol_error');
    expect(
      refused(new TextEncoder().encode(JSON.stringify({ v: 1, type: 'answer', from: ALICE.id, to: BOB.id, attempt: 'A'.repeat(22), sdp: 'x', extra: 1 }))),
    ).toBe('protocol_error');
    expect(refused(new TextEncoder().encode(JSON.stringify({ v: 1, type: 'answer', from: ALICE.id, to: BOB.id, attempt: 'A'.repeat(22), sdp: 'x' })))).toBe(
      'accepted',
    );
    const candidate = (value: unknown) =>
      refused(new TextEncoder().encode(JSON.stringify({ v: 1, type: 'candidate', from: ALICE.id, to: BOB.id, attempt: 'A'.repeat(22), candidate: value })));
    expect(candidate({ candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 })).toBe('accepted');
    expect(candidate({ candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: null, sdpMLineIndex: null, usernameFragment: 'abcd' })).toBe('accepted');
    expect(candidate({ candidate: 'x'.repeat(1025) })).toBe('protocol_error');
    expect(candidate({ candidate: 'x', sdpMLineIndex: 1.5 })).toBe('protocol_error');
    expect(candidate({ candidate: 'x', sdpMid: 'm'.repeat(65) })).toBe('protocol_error');
    expect(candidate('candidate:1 1 udp 1 127.0.0.1 9 typ host')).toBe('protocol_error');
  });

  it('links: each bad parameter is refused naming it', () => {
    const good = inviteParams('mqtt://127.0.0.1:1883', 'whatnext/v1', BOB.id);
    expect(parseMqttLink(good)).toMatchObject({ method: 'mqtt', remote: { id: BOB.id }, params: { url: 'mqtt://127.0.0.1:1883', topicPrefix: 'whatnext/v1' } });
    const reason = (params: Record<string, string>) => {
      try {
        parseMqttLink(params);
        return 'accepted';
      } catch (error) {
        return `${(error as { reason: string }).reason}: ${(error as Error).message}`;
      }
    };
    expect(reason({ ...good, u: 'http://127.0.0.1:1883' })).toMatch(/^bad-param: The broker URL \(u=\).*mqtt:\/\//);
    expect(reason({ ...good, u: 'mqtt://user:pw@127.0.0.1:1883' })).toMatch(/broker URL .*password/);
    expect(reason({ ...good, u: 'mqtt://2130706433:1883' })).toMatch(/normal form/);
    expect(reason({ ...good, tp: 'whatnext/#' })).toMatch(/^bad-param: The topic prefix \(tp=\)/);
    expect(reason({ ...good, id: 'Bob' })).toMatch(/^bad-param: The peer id \(id=\)/);
    expect(reason({ u: good.u!, tp: good.tp! })).toMatch(/^missing-param: .*peer id/);
    expect(reason({ ...good, x: '1' })).toMatch(/^bad-param: .*"x"/);
    expect(reason({ ...good, u: `mqtt://${'a'.repeat(600)}` })).toMatch(/too long/);
  });

  it('options: a bad one is refused naming the field', () => {
    const problem = (input: unknown) => {
      const result = MqttOptions.safeParse(input);
      return result.success ? 'accepted' : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    };
    expect(problem({})).toBe('accepted');
    expect(problem({ url: 'wss://broker.example.org/mqtt', username: 'me', password: 'secret' })).toBe('accepted');
    expect(problem({ url: 'tcp://broker.example.org' })).toMatch(/^url: .*mqtt:\/\//);
    expect(problem({ url: 'mqtt://me:secret@broker.example.org' })).toMatch(/^url: .*username and password/);
    expect(problem({ topicPrefix: 'a/+/b' })).toMatch(/^topicPrefix: /);
    expect(problem({ topicPrefix: '$SYS' })).toMatch(/^topicPrefix: /);
    expect(problem({ colour: 'red' })).toMatch(/colour/);
  });
});
