/**
 * Someone who controls signaling (a broker, or whoever carries the manual codes) can answer
 * each peer's description with one of its own, hold a WebRTC session with each, and pass every
 * frame on unread. The handshake's proofs name each peer's own DTLS session (the fingerprints
 * this transport reports to core), so the relay can pass them on but never make them fit: real
 * WebRTC, real identities, both sides refuse.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Connection, type Pipe, type PipeSink, type Signal, generateIdentity } from '@whatnext/core';
import { createTestConnection, type TestConnection } from '@whatnext/core/testing';
import { createWebRtc } from '../webrtc';
import { createSimplePeerTransport, type SimplePeerTransport } from './transport';

let transport: SimplePeerTransport;
afterEach(async () => {
  await transport.dispose();
});

async function person(name: string): Promise<TestConnection> {
  const { id, identity } = await generateIdentity();
  return createTestConnection({ local: { id, name }, identity });
}

type Dial = ReturnType<SimplePeerTransport['dial']>;

/** Dial `sink` as one end; its signals go (asynchronously, as JSON) to whatever `to` returns. */
function dial(initiator: boolean, sink: PipeSink, to: () => Dial): Dial {
  return transport.dial({
    initiator,
    sink,
    stage() {},
    abort: new AbortController().signal,
    sendSignal: (signal: Signal) => {
      const copy: unknown = JSON.parse(JSON.stringify(signal));
      setImmediate(() => to().signal(copy));
    },
  });
}

/** A sink that passes every frame to the pipe `to` returns, holding them until it exists. */
function passOn(to: () => Pipe | undefined): PipeSink & { flush(): void } {
  const waiting: Uint8Array[] = [];
  const sink = {
    frame(data: Uint8Array) {
      waiting.push(data);
      sink.flush();
    },
    flush() {
      const pipe = to();
      if (pipe) for (const frame of waiting.splice(0)) pipe.send(frame);
    },
    drain() {},
    closed: () => to()?.close(),
  };
  return sink;
}

describe('simple-peer: a relay in the middle of signaling', () => {
  it('Alice and Bob, connected directly, open (the baseline)', async () => {
    transport = createSimplePeerTransport(createWebRtc());
    const [alice, bob] = await Promise.all([person('Alice'), person('Bob')]);
    const toAlice: Dial = dial(true, alice.sink, () => toBob);
    const toBob: Dial = dial(false, bob.sink, () => toAlice);
    alice.attach(await toAlice.pipe);
    bob.attach(await toBob.pipe);
    await Promise.all([alice.opened, bob.opened]);
    await alice.close();
  });

  it('Alice and Bob, each in a session with a relay that passes every frame on, both refuse', async () => {
    transport = createSimplePeerTransport(createWebRtc());
    const [alice, bob] = await Promise.all([person('Alice'), person('Bob')]);
    let towardsAlice: Pipe | undefined;
    let towardsBob: Pipe | undefined;
    const fromAlice = passOn(() => towardsBob);
    const fromBob = passOn(() => towardsAlice);
    // Alice's offer reaches the relay, which answers it itself, and offers its own to Bob.
    const alicesEnd: Dial = dial(true, alice.sink, () => relayToAlice);
    const relayToAlice: Dial = dial(false, fromAlice, () => alicesEnd);
    const relayToBob: Dial = dial(true, fromBob, () => bobsEnd);
    const bobsEnd: Dial = dial(false, bob.sink, () => relayToBob);
    alice.attach(await alicesEnd.pipe);
    bob.attach(await bobsEnd.pipe);
    [towardsAlice, towardsBob] = await Promise.all([relayToAlice.pipe, relayToBob.pipe]);
    fromAlice.flush();
    fromBob.flush();
    // Opening (what an unbound handshake does here) fails the case at once.
    const outcome = (connection: Connection) =>
      connection.opened.then(
        () => 'opened',
        () => 'refused',
      );
    expect(await Promise.all([outcome(alice), outcome(bob)])).toEqual(['refused', 'refused']);
    // Whoever checks first refuses; the relay then hangs up on the other, whose refusal may
    // come first, or the dropped pipe.
    const reasons = await Promise.all([alice.closed, bob.closed]);
    const refusals = reasons.filter((reason) => reason.code === 'handshake-failed');
    expect(refusals.length).toBeGreaterThan(0);
    for (const reason of refusals) expect(reason.message).toMatch(/could not prove it is [0-9a-z]{26} on this connection \(someone may be relaying it\)$/);
    for (const reason of reasons) expect(['handshake-failed', 'pipe-closed']).toContain(reason.code);
  });
});
