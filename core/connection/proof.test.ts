/**
 * Identity proof in the handshake: a peer id is the hash of a key, and the handshake makes the
 * remote prove it holds that key.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPipePair, type MemoryPipe } from '../testing/memory-transport';
import { nextTurns } from '../testing/helpers';
import { createConnection as createSecuredConnection, type UpgradingConnection } from './connection';
import { generateIdentity, loadIdentity, peerIdFromKey, webCryptoSuite, type PeerIdentity, type ProofSuite } from './proof';
import { decodeFrame, encodeHello, encodeProof, type Frame, type Hello } from './wire';
import { fromBase64Url } from '../util/ids';
import { SinkTap, rawRemote } from './testing';
import type { ConnectionOptions } from './types';
import type { PeerId } from '../contracts/peer';
import type { HandshakeAhead } from '../contracts/signaling';
import type { Pipe, PipeSink } from '../contracts/transport';

/** These tests read, hold back and forge the handshake's frames on the pipe, so they run it in
 * clear; inside the secure session it is the same (secure/session.test.ts runs it there). */
function createConnection(options: ConnectionOptions): UpgradingConnection {
  return createSecuredConnection({ encryptUnboundPipes: false, ...options });
}

async function person(name: string) {
  const { id, identity, stored } = await generateIdentity();
  return { peer: { id, name }, identity, stored };
}

function pair(a: ConnectionOptions, b: ConnectionOptions) {
  const ca = createConnection(a);
  const cb = createConnection(b);
  const { a: pa, b: pb } = createMemoryPipePair(ca.sink, cb.sink);
  ca.attach(pa);
  cb.attach(pb);
  return { a: ca, b: cb };
}

describe('identity proof', () => {
  it('derives the peer id from the key, and a stored identity loads back to the same id', async () => {
    const alice = await person('Alice');
    expect(alice.peer.id).toMatch(/^[0-9a-z]{26}$/);
    expect(await peerIdFromKey(alice.identity.publicKey)).toBe(alice.peer.id);
    const loaded = await loadIdentity(alice.stored);
    expect(loaded.id).toBe(alice.peer.id);
    const other = await person('Other');
    expect(other.peer.id).not.toBe(alice.peer.id);
  });

  it('two peers with identities prove themselves and open', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const { a, b } = pair({ local: alice.peer, identity: alice.identity }, { local: bob.peer, identity: bob.identity });
    await Promise.all([a.opened, b.opened]);
    expect(a.remote).toEqual(bob.peer);
    expect(b.remote).toEqual(alice.peer);
    // A message sent the moment one side opens arrives, even if the other is still verifying.
    const got = new Promise((resolve) => b.channel('x').onMessage(resolve));
    await a.channel('x').send('first');
    expect(await got).toBe('first');
    await a.close();
  });

  it("proves itself when the remote's hello arrives, and is signed for, before the pipe is attached", async () => {
    // simple-peer's answering side gets the remote's frames before its 'connect': its proof
    // was made before it had a pipe, and must still follow its hello.
    const alice = await person('Alice');
    const bob = await person('Bob');
    const aliceSigns = watched(alice.identity);
    const a = createConnection({ local: alice.peer, identity: aliceSigns.identity });
    const b = createConnection({ local: bob.peer, identity: bob.identity });
    const tapA = new SinkTap(a.sink);
    const pipes = createMemoryPipePair(tapA, b.sink);
    const helloArrived = tapA.next();
    b.attach(pipes.b);
    await helloArrived;
    await aliceSigns.signed();
    await new Promise((resolve) => setImmediate(resolve)); // the rest of a's proof step is microtasks
    a.attach(pipes.a);
    await Promise.all([a.opened, b.opened]);
    expect(a.remote).toEqual(bob.peer);
    expect(b.remote).toEqual(alice.peer);
    await a.close();
  });

  it('refuses a peer that claims an id its key does not hash to', async () => {
    const alice = await person('Alice');
    const mallory = await person('Mallory');
    const bob = await person('Bob');
    // Mallory says she is Alice, but signs with her own key.
    const { a, b } = pair({ local: { id: alice.peer.id, name: 'Alice' }, identity: mallory.identity }, { local: bob.peer, identity: bob.identity });
    const reason = await b.closed;
    expect(reason).toMatchObject({ by: 'error', code: 'handshake-failed', stage: 'handshake' });
    expect(reason.message).toContain(`does not belong to peer id ${alice.peer.id}`);
    await a.closed;
  });

  it('refuses a proof that does not verify (a replayed or forged signature)', async () => {
    const alice = await person('Alice');
    const forger: PeerIdentity = { publicKey: alice.identity.publicKey, sign: async () => crypto.getRandomValues(new Uint8Array(64)) };
    const bob = await person('Bob');
    const { b } = pair({ local: alice.peer, identity: forger }, { local: bob.peer, identity: bob.identity });
    const reason = await b.closed;
    expect(reason).toMatchObject({ code: 'handshake-failed' });
    expect(reason.message).toContain(`could not prove it is ${alice.peer.id}`);
  });

  it('a side that requires proof refuses a remote without a key; one that does not, accepts it', async () => {
    const bob = await person('Bob');
    const anonymous = { id: 'aaaaaaaaaaaaaaaaaaaaaaaaaa', name: 'Anon' };
    const strict = pair({ local: anonymous }, { local: bob.peer, identity: bob.identity });
    const reason = await strict.b.closed;
    expect(reason.message).toBe('the remote (aaaaaaaaaaaaaaaaaaaaaaaaaa) did not prove its identity');

    const lenient = pair({ local: anonymous }, { local: bob.peer, identity: bob.identity, requireProof: false });
    await Promise.all([lenient.a.opened, lenient.b.opened]);
    expect(lenient.a.remote).toEqual(bob.peer); // and the anonymous side checked Bob's proof
    await lenient.a.close();
  });

  it("a key that cannot sign fails the connection as an internal error, not the remote's", async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const locked: PeerIdentity = { publicKey: alice.identity.publicKey, sign: () => Promise.reject(new Error('the key store is locked')) };
    const { a, b } = pair({ local: alice.peer, identity: locked }, { local: bob.peer, identity: bob.identity });
    expect(await a.closed).toMatchObject({ by: 'error', code: 'internal-error', message: 'could not sign our proof: the key store is locked' });
    await b.closed;
  });

  it('a proof from a remote that offered no key is a protocol error', async () => {
    const remote = rawRemote();
    await remote.handshake();
    await remote.deliver(encodeProof(new Uint8Array(64)));
    expect(await remote.connection.closed).toMatchObject({ code: 'protocol-error' });
  });
});

/** An identity whose signatures a test can wait for. */
function watched(identity: PeerIdentity): { identity: PeerIdentity; signed: () => Promise<void> } {
  const waiters: (() => void)[] = [];
  let count = 0;
  return {
    identity: {
      publicKey: identity.publicKey,
      sign: async (data) => {
        const signature = await identity.sign(data);
        count++;
        for (const wake of waiters.splice(0)) wake();
        return signature;
      },
    },
    signed: () => (count > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}

/** What a signaling method gets of the connection's handshake (`AttemptContext.handshake`),
 * with signaling saying the remote is `remoteId`. */
function signaling(connection: UpgradingConnection, remoteId?: PeerId): HandshakeAhead {
  return connection.handshakeAhead(() => remoteId);
}

/** The connection's hello for signaling, once `signed` says its proof exists. */
async function helloAhead(connection: UpgradingConnection, signed: () => Promise<void>): Promise<Hello> {
  await signed();
  const hello = await signaling(connection).hello();
  expect(hello).toBeDefined();
  return hello as Hello;
}

/** Attach both over a memory pipe pair and wait until both are open. */
async function attachAndOpen(a: UpgradingConnection, b: UpgradingConnection): Promise<void> {
  const pipes = createMemoryPipePair(a.sink, b.sink);
  a.attach(pipes.a);
  b.attach(pipes.b);
  await Promise.all([a.opened, b.opened]);
}

/** A sink that also records the kind of every frame. */
function kinds(sink: PipeSink): { sink: PipeSink; seen: Frame['kind'][] } {
  const seen: Frame['kind'][] = [];
  return { seen, sink: { ...sink, frame: (data) => (seen.push(decodeFrame(data).kind), sink.frame(data)) } };
}

/** Attach both over a memory pipe pair, recording the kind of each frame each side receives;
 * resolves once both are open. */
async function openRecorded(a: UpgradingConnection, b: UpgradingConnection): Promise<{ atA: Frame['kind'][]; atB: Frame['kind'][] }> {
  const [tapA, tapB] = [kinds(a.sink), kinds(b.sink)];
  const pipes = createMemoryPipePair(tapA.sink, tapB.sink);
  a.attach(pipes.a);
  b.attach(pipes.b);
  await Promise.all([a.opened, b.opened]);
  return { atA: tapA.seen, atB: tapB.seen };
}

/** The default proof suite, telling a test when each check has finished. */
function watchedChecks(): { suite: ProofSuite; checked(): Promise<void> } {
  let count = 0;
  const waiters: (() => void)[] = [];
  return {
    suite: {
      idOf: webCryptoSuite.idOf,
      verify: async (key, data, signature) => {
        try {
          return await webCryptoSuite.verify(key, data, signature);
        } finally {
          count++;
          for (const wake of waiters.splice(0)) wake();
        }
      },
    },
    // Resolves after a check, once what the connection does with its result has run too.
    checked: () => (count > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))).then(() => nextTurns(1)),
  };
}

/** Alice and Bob, each with a connection whose signatures (and Alice's checks) the test can
 * wait for. */
async function aliceAndBob() {
  const alice = await person('Alice');
  const bob = await person('Bob');
  const aliceSigns = watched(alice.identity);
  const bobSigns = watched(bob.identity);
  const aliceChecks = watchedChecks();
  const a = createConnection({ local: alice.peer, identity: aliceSigns.identity, proofSuite: aliceChecks.suite });
  const b = createConnection({ local: bob.peer, identity: bobSigns.identity });
  return { alice, bob, aliceSigns, bobSigns, aliceChecks, a, b };
}

/** Alice invites (her nonce goes ahead, as in a link), Bob answers with his hello ahead (as in
 * an offer), Alice's hello goes ahead back (as in an answer). */
async function ahead() {
  const { alice, bob, aliceSigns, bobSigns, a, b } = await aliceAndBob();
  signaling(b, alice.peer.id).remoteNonce(signaling(a).nonce);
  const bobHello = await helloAhead(b, bobSigns.signed);
  signaling(a).remoteHello(bobHello); // also signs Bob's nonce, from his hello
  const aliceHello = await helloAhead(a, aliceSigns.signed);
  signaling(b).remoteHello(aliceHello);
  const tapA = kinds(a.sink);
  const tapB = kinds(b.sink);
  const pipes = createMemoryPipePair(tapA.sink, tapB.sink);
  return { alice, bob, a, b, pipes, framesAtA: tapA.seen, framesAtB: tapB.seen, aliceHello, bobHello };
}

describe('identity proof, partly ahead through signaling', () => {
  it('with both hellos ahead, each side opens with its pipe, before any frame from the other', async () => {
    const { alice, bob, a, b, pipes, framesAtA, framesAtB } = await ahead();
    b.attach(pipes.b); // Alice has no pipe yet: nothing can come from her
    await b.opened;
    expect(b.remote).toEqual(alice.peer);
    expect(framesAtB).toEqual([]);
    a.attach(pipes.a);
    await a.opened;
    expect(a.remote).toEqual(bob.peer);
    // Both proofs travelled in the hellos: no PROOF frame either way.
    const got = new Promise((resolve) => a.channel('x').onMessage(resolve));
    await b.channel('x').send('hi');
    expect(await got).toBe('hi');
    expect(framesAtA.filter((k) => k === 'proof')).toEqual([]);
    expect(framesAtB.filter((k) => k === 'proof')).toEqual([]);
    expect(framesAtB[0]).toBe('hello'); // Alice still confirms who she is on the pipe
    await a.close();
  });

  it("sends no second proof when the remote's hello reaches it before its pipe is attached", async () => {
    // Bob's offer carried only his nonce; Alice's answer carried her hello. Bob opens at once,
    // and his hello reaches Alice before her pipe is attached (as a data channel may deliver
    // its first message with its open event): her proof still goes in her hello, once.
    const { bob, aliceSigns, bobSigns, a, b } = await aliceAndBob();
    signaling(a, bob.peer.id).remoteNonce(signaling(b).nonce);
    signaling(b).remoteHello(await helloAhead(a, aliceSigns.signed));
    await bobSigns.signed(); // his proof for her nonce, from her hello
    const tapA = new SinkTap(kinds(a.sink).sink);
    const tapB = kinds(b.sink);
    const pipes = createMemoryPipePair(tapA, tapB.sink);
    const bobsHello = tapA.next();
    b.attach(pipes.b);
    await b.opened;
    await bobsHello;
    a.attach(pipes.a);
    await a.opened;
    const got = new Promise((resolve) => b.channel('x').onMessage(resolve));
    await a.channel('x').send('after');
    expect(await got).toBe('after');
    expect(tapB.seen).toEqual(['hello', 'start']); // her hello (with her proof), her message: no PROOF
    expect(b.state).toBe('open');
    await a.close();
  });

  it('with only the nonce ahead, the proof rides in the hello and no PROOF frame follows', async () => {
    const { bob, aliceSigns, a, b } = await aliceAndBob();
    signaling(a, bob.peer.id).remoteNonce(signaling(b).nonce);
    await helloAhead(a, aliceSigns.signed);
    const { atA, atB } = await openRecorded(a, b);
    expect(atB).toEqual(['hello']); // Alice's proof was in her hello
    expect(atA).toEqual(['hello', 'proof']); // Bob answered hers on the pipe
    await a.close();
  });

  it('sends a proof made ahead as a frame when it was not ready for the hello', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: PeerIdentity = { publicKey: alice.identity.publicKey, sign: async (data) => (await gate, alice.identity.sign(data)) };
    const a = createConnection({ local: alice.peer, identity: slow });
    const b = createConnection({ local: bob.peer, identity: bob.identity });
    signaling(a, bob.peer.id).remoteNonce(signaling(b).nonce);
    const opening = openRecorded(a, b); // attaches both at once
    release();
    const { atB } = await opening;
    expect(atB).toEqual(['hello', 'proof']); // her hello went without it; the frame followed
    await a.close();
  });

  it('sets aside a hello that came ahead and does not prove its id: the pipe decides', async () => {
    const { aliceHello } = await ahead();
    // Alice's hello, as it came ahead to Bob, replayed to Carol: its proof answers Bob's nonce.
    // Carol must not take it; on the pipe, a copy of the hello without the proof does not open
    // her connection, and a proof that does not verify fails it.
    const fresh = await person('Carol');
    const remote = rawRemote({ local: fresh.peer, identity: fresh.identity });
    signaling(remote.connection).remoteHello(aliceHello);
    const states: string[] = [];
    remote.connection.on('state', (state) => states.push(state));
    await remote.deliver(encodeHello({ ...aliceHello, auth: { nonce: aliceHello.auth!.nonce, key: aliceHello.auth!.key } }));
    await remote.deliver(encodeProof(fromBase64Url(aliceHello.auth!.proof!)!));
    expect(await remote.connection.closed).toMatchObject({ code: 'handshake-failed', message: `the remote could not prove it is ${aliceHello.peer.id}` });
    expect(states).not.toContain('open');
  });

  it('fails the connection when the peer on the pipe is not the one whose hello came ahead', async () => {
    const { a, pipes } = await ahead();
    // Alice checked Bob's hello ahead; on the pipe, someone else says hello.
    const mallory = await person('Mallory');
    const impostor = createConnection({ local: mallory.peer, identity: mallory.identity });
    a.attach(pipes.a);
    impostor.attach(pipes.b);
    const reason = await a.closed;
    expect(reason).toMatchObject({ code: 'handshake-failed', message: "the remote's hello on the connection differs from the one it sent while signaling" });
  });

  it('ignores a malformed hello or nonce from signaling: the pipe does the whole handshake', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const a = createConnection({ local: alice.peer, identity: alice.identity });
    const b = createConnection({ local: bob.peer, identity: bob.identity });
    for (const junk of [undefined, null, 42, 'hello', { protocol: 1 }, { protocol: 1, peer: bob.peer, auth: { nonce: '!' } }]) signaling(a).remoteHello(junk);
    signaling(a, bob.peer.id).remoteNonce('not a nonce');
    expect(await signaling(a).hello()).toBeUndefined();
    await attachAndOpen(a, b);
    expect(a.remote).toEqual(bob.peer);
    await a.close();
  });

  it('a proof made for another nonce (a link whose invite is gone) is set aside, and a PROOF frame follows', async () => {
    const { alice, bob, aliceSigns, a, b } = await aliceAndBob();
    const gone = createConnection({ local: bob.peer, identity: bob.identity }); // the invite's
    signaling(a, bob.peer.id).remoteNonce(signaling(gone).nonce);
    await helloAhead(a, aliceSigns.signed);
    const { atA, atB } = await openRecorded(a, b);
    expect(a.remote).toEqual(bob.peer);
    expect(b.remote).toEqual(alice.peer);
    expect(atB).toEqual(['hello', 'proof']); // her hello's proof answered the old nonce
    expect(atA).toEqual(['hello', 'proof']);
    await a.close();
  });
});

describe("identity proof bound to the transport's session", () => {
  /** Alice and Bob, each on a pipe to someone in the middle who passes every frame on unread:
   * what a signaling relay (a broker) can do once it has put its own session description in
   * each side's place. `bindings`: what each side's transport reports (the fingerprints each
   * session description declares), or nothing. */
  async function relayed(bindings?: { alice: { local: string; remote: string }; bob: { local: string; remote: string } }) {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const a = createConnection({ local: alice.peer, identity: alice.identity });
    const b = createConnection({ local: bob.peer, identity: bob.identity });
    if (bindings) {
      for (const [connection, sides] of [
        [a, bindings.alice],
        [b, bindings.bob],
      ] as const) {
        connection.sink.binding!('local', sides.local);
        connection.sink.binding!('remote', sides.remote);
      }
    }
    let towardsAlice!: Pipe;
    let towardsBob!: Pipe;
    // Frames that reach an end already closed (the other side refused first) are dropped.
    const pass = (to: Pipe, data: Uint8Array) => {
      if (!(to as MemoryPipe).isClosed) to.send(data);
    };
    const middle = (to: () => Pipe): PipeSink => ({ frame: (data) => pass(to(), data), drain() {}, closed: () => to().close() });
    const left = createMemoryPipePair(
      a.sink,
      middle(() => towardsBob),
    );
    const right = createMemoryPipePair(
      middle(() => towardsAlice),
      b.sink,
    );
    towardsAlice = left.b;
    towardsBob = right.a;
    a.attach(left.a);
    b.attach(right.b);
    return { alice, bob, a, b };
  }

  it('without a binding, someone relaying both sides gets both opened (what binding is for)', async () => {
    const { a, b, alice, bob } = await relayed();
    await Promise.all([a.opened, b.opened]);
    expect(a.remote).toEqual(bob.peer);
    expect(b.remote).toEqual(alice.peer);
    await a.close();
  });

  it('with each side bound to its own session, the relayed proofs fail and neither side opens', async () => {
    // Each side's session is with the middle: Alice sees the middle's fingerprint where Bob's
    // should be, and Bob the middle's other one.
    const { a, b, alice, bob } = await relayed({ alice: { local: 'sha-256 AA', remote: 'sha-256 M1' }, bob: { local: 'sha-256 BB', remote: 'sha-256 M2' } });
    const states: string[] = [];
    for (const connection of [a, b]) connection.on('state', (state) => states.push(state));
    const reasons = await Promise.all([a.closed, b.closed]);
    expect(states).not.toContain('open');
    // Each refuses the other, unless the other's refusal (passed on by the relay) came first.
    const refusal = (id: string) => `the remote could not prove it is ${id} on this connection (someone may be relaying it)`;
    for (const reason of reasons) expect(reason).toMatchObject({ code: 'handshake-failed' });
    for (const reason of reasons) expect([refusal(alice.peer.id), refusal(bob.peer.id)]).toContain(reason.message);
  });

  it('opens when each side proves the session the other holds', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const a = createConnection({ local: alice.peer, identity: alice.identity });
    const b = createConnection({ local: bob.peer, identity: bob.identity });
    a.sink.binding!('local', 'sha-256 AA');
    a.sink.binding!('remote', 'sha-256 BB');
    b.sink.binding!('local', 'sha-256 BB');
    b.sink.binding!('remote', 'sha-256 AA');
    await attachAndOpen(a, b);
    expect(a.remote).toEqual(bob.peer);
    await a.close();
  });

  it('a proof made ahead before our binding was known is made again for it, and still goes ahead', async () => {
    const { alice, bob, bobSigns, a, b } = await aliceAndBob();
    signaling(b, alice.peer.id).remoteNonce(signaling(a).nonce); // the link's nonce, before Bob's session exists
    b.sink.binding!('local', 'sha-256 BB'); // his offer is made: the proof is made again
    a.sink.binding!('remote', 'sha-256 BB'); // Alice applies that offer
    const bobHello = await helloAhead(b, bobSigns.signed);
    signaling(a).remoteHello(bobHello);
    a.sink.binding!('local', 'sha-256 AA');
    b.sink.binding!('remote', 'sha-256 AA');
    const { atA } = await openRecorded(a, b);
    expect(atA).toEqual(['hello']); // his proof came ahead, bound: no PROOF frame
    expect(a.remote).toEqual(bob.peer);
    await a.close();
  });

  it('a hello accepted ahead is checked again when the remote binding becomes known, and a wrong one refuses it', async () => {
    // Bob's proof names no session, and Alice, knowing none yet, accepts it ahead.
    const { alice, bob, bobSigns, aliceChecks, a, b } = await aliceAndBob();
    signaling(b, alice.peer.id).remoteNonce(signaling(a).nonce);
    signaling(a).remoteHello(await helloAhead(b, bobSigns.signed));
    await aliceChecks.checked();
    expect(a.remote).toEqual(bob.peer); // accepted
    // Then her transport says which session she holds: Bob's proof is not for it.
    a.sink.binding!('remote', 'sha-256 M1');
    const pipes = createMemoryPipePair(a.sink, b.sink);
    a.attach(pipes.a);
    b.attach(pipes.b);
    expect(
      await a.opened.then(
        () => 'opened',
        () => 'refused',
      ),
    ).toBe('refused');
    expect(await a.closed).toMatchObject({
      by: 'error',
      code: 'handshake-failed',
      message: `the remote could not prove it is ${bob.peer.id} on this connection (someone may be relaying it)`,
    });
  });

  it('a hello that came ahead and was set aside stays aside when the bindings arrive: the pipe decides', async () => {
    // A hello ahead in Bob's name whose proof, for Alice's nonce, names a session Alice does
    // not hold: set aside (not refused: the pipe may still bring a good one).
    const { alice, bob, a } = await aliceAndBob();
    const elsewhere = createConnection({ local: bob.peer, identity: bob.identity });
    elsewhere.sink.binding!('local', 'sha-256 XX');
    signaling(elsewhere, alice.peer.id).remoteNonce(signaling(a).nonce);
    signaling(a).remoteHello(await signaling(elsewhere).hello());
    // Bob on the pipe, in the session Alice holds, proves himself with a PROOF frame.
    const b = createConnection({ local: bob.peer, identity: bob.identity });
    a.sink.binding!('remote', 'sha-256 BB');
    a.sink.binding!('local', 'sha-256 AA');
    b.sink.binding!('remote', 'sha-256 AA');
    b.sink.binding!('local', 'sha-256 BB');
    const { atA } = await openRecorded(a, b);
    expect(atA).toEqual(['hello', 'proof']);
    expect(a.remote).toEqual(bob.peer);
    await a.close();
    await elsewhere.close();
  });

  it("a proof that waits for our binding (the remote's is known first) rides in our hello, with no PROOF frame besides", async () => {
    // The answering side of a broker: the offer (Bob's binding, nonce and hello) comes first,
    // our own description, and so our binding, a moment later.
    const { alice, bob, bobSigns, aliceChecks, a, b } = await aliceAndBob();
    b.sink.binding!('local', 'sha-256 BB');
    signaling(b, alice.peer.id).remoteNonce(signaling(a).nonce);
    const bobHello = await helloAhead(b, bobSigns.signed);
    a.sink.binding!('remote', 'sha-256 BB');
    signaling(a, bob.peer.id).remoteNonce(bobHello.auth!.nonce); // waits for Alice's binding
    signaling(a).remoteHello(bobHello);
    await aliceChecks.checked();
    expect(a.remote).toEqual(bob.peer);
    a.sink.binding!('local', 'sha-256 AA'); // her answer exists: her proof is made now
    signaling(b).remoteHello(await signaling(a).hello());
    b.sink.binding!('remote', 'sha-256 AA');
    const { atA, atB } = await openRecorded(a, b);
    expect(atB).toEqual(['hello']);
    expect(atA).toEqual(['hello']);
    await a.close();
  });

  it("a nonce that comes after the remote's hello was answered with a PROOF frame adds no second proof to our hello", async () => {
    // Bob's hello reaches Alice before her pipe (simple-peer's responder sees that), so her
    // proof for his nonce is a PROOF frame; his nonce arriving late through signaling must
    // not also put a proof in her hello.
    const { alice, bob, aliceSigns, aliceChecks, a, b } = await aliceAndBob();
    for (const [c, local, remote] of [
      [a, 'sha-256 AA', 'sha-256 BB'],
      [b, 'sha-256 BB', 'sha-256 AA'],
    ] as const) {
      c.sink.binding!('local', local);
      c.sink.binding!('remote', remote);
    }
    signaling(b, alice.peer.id).remoteNonce(signaling(a).nonce);
    await signaling(b).hello(); // his proof is made: it rides in his hello
    const sent: Uint8Array[] = [];
    b.attach({ maxFrameSize: 64 * 1024, send: (frame) => void sent.push(frame), close() {} });
    for (const frame of sent.splice(0)) a.sink.frame(frame); // his hello, before her pipe
    await Promise.all([aliceChecks.checked(), aliceSigns.signed()]); // checked; her PROOF frame signed
    await nextTurns(1);
    signaling(a, bob.peer.id).remoteNonce(signaling(b).nonce); // late
    await signaling(a).hello(); // a proof made for it, if any, would be ready for her hello
    const toBob: Uint8Array[] = [];
    a.attach({ maxFrameSize: 64 * 1024, send: (frame) => void toBob.push(frame), close() {} });
    const hello = decodeFrame(toBob[0]!);
    expect(hello.kind === 'hello' && hello.hello.auth?.proof).toBeFalsy();
    expect(toBob.map((frame) => decodeFrame(frame).kind)).toEqual(['hello', 'proof']);
    // Nothing more to see: end both (their pipes here are only arrays).
    a.fail('handshake', new Error('the test is over'));
    b.fail('handshake', new Error('the test is over'));
    await Promise.all([a.closed, b.closed]);
  });

  it('a transport that reports a second, different binding for a side fails the connection', async () => {
    const alice = await person('Alice');
    const a = createConnection({ local: alice.peer, identity: alice.identity });
    a.sink.binding!('remote', 'sha-256 BB');
    a.sink.binding!('remote', 'sha-256 BB'); // the same again is fine
    a.sink.binding!('remote', 'sha-256 CC');
    expect(await a.closed).toMatchObject({ code: 'internal-error', message: 'the transport misbehaved: the transport reported a second remote binding' });
  });
});
