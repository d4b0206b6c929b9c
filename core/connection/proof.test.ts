/**
 * Identity proof in the handshake: a peer id is the hash of a key, and the handshake makes the
 * remote prove it holds that key.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPipePair } from '../testing/memory-transport';
import { createConnection } from './connection';
import { generateIdentity, loadIdentity, peerIdFromKey, type PeerIdentity } from './proof';
import { encodeProof } from './wire';
import { SinkTap, rawRemote } from './test-support';
import type { ConnectionOptions } from './types';

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

  it('proves itself when the remote\'s hello arrives, and is signed for, before the pipe is attached', async () => {
    // simple-peer's answering side gets the remote's frames before its 'connect': its proof
    // was made before it had a pipe, and must still follow its hello.
    const alice = await person('Alice');
    const bob = await person('Bob');
    let signed!: () => void;
    const signing = new Promise<void>((resolve) => (signed = resolve));
    const identity: PeerIdentity = {
      publicKey: alice.identity.publicKey,
      sign: async (data) => {
        const signature = await alice.identity.sign(data);
        signed();
        return signature;
      },
    };
    const a = createConnection({ local: alice.peer, identity });
    const b = createConnection({ local: bob.peer, identity: bob.identity });
    const tapA = new SinkTap(a.sink);
    const pipes = createMemoryPipePair(tapA, b.sink);
    const helloArrived = tapA.next();
    b.attach(pipes.b);
    await helloArrived;
    await signing;
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

  it('a proof from a remote that offered no key is a protocol error', async () => {
    const remote = rawRemote();
    await remote.handshake();
    await remote.deliver(encodeProof(new Uint8Array(64)));
    expect(await remote.connection.closed).toMatchObject({ code: 'protocol-error' });
  });
});
