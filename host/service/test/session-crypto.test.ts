/** The service's session crypto (node:crypto) means what core's default (@noble) means. */
import { describe, expect, it } from 'vitest';
import { createConnection } from '../../../core/connection/connection';
import { nobleSessionCrypto } from '../../../core/connection/secure/session-crypto';
import { createMemoryPipePair } from '../../../core/testing/memory-transport';
import { newIdentity, nodeProofSuite, signerOf } from '../identity';
import { nodeSessionCrypto } from '../session-crypto';

const suites = { node: nodeSessionCrypto, noble: nobleSessionCrypto };

describe('node session crypto', () => {
  it('agrees with the pure-JavaScript suite on X25519, both ways', () => {
    const ours = nodeSessionCrypto.generateKeyPair();
    const theirs = nobleSessionCrypto.generateKeyPair();
    const shared = nodeSessionCrypto.dh(ours.secretKey, theirs.publicKey);
    expect(shared).toEqual(nobleSessionCrypto.dh(theirs.secretKey, ours.publicKey));
    // A secret key it did not make itself (imported), and its public key as noble derives it.
    expect(nodeSessionCrypto.dh(theirs.secretKey, ours.publicKey)).toEqual(shared);
    expect(nobleSessionCrypto.dh(ours.secretKey, theirs.publicKey)).toEqual(shared);
  });

  it('refuses a low-order public key', () => {
    const ours = nodeSessionCrypto.generateKeyPair();
    expect(() => nodeSessionCrypto.dh(ours.secretKey, new Uint8Array(32))).toThrow();
  });

  it('seals what the other suite opens, with and without associated data, and refuses a flipped bit', () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const ad = new TextEncoder().encode('transcript');
    const plaintext = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
    for (const [sealer, opener] of [
      ['node', 'noble'],
      ['noble', 'node'],
    ] as const) {
      for (const data of [ad, new Uint8Array(0)]) {
        const sealed = suites[sealer].seal(key, nonce, data, plaintext);
        expect(sealed.byteLength).toBe(plaintext.byteLength + 16);
        expect(suites[opener].open(key, nonce, data, sealed)).toEqual(plaintext);
        sealed[100]! ^= 1;
        expect(suites[opener].open(key, nonce, data, sealed)).toBeUndefined();
      }
    }
    expect(nodeSessionCrypto.open(key, nonce, ad, new Uint8Array(8))).toBeUndefined();
  });

  it('a peer on node:crypto and one on the default suite connect and talk', async () => {
    const alice = newIdentity('Alice');
    const bob = newIdentity('Bob');
    const a = createConnection({
      local: { id: alice.id, name: 'Alice' },
      identity: signerOf(alice),
      proofSuite: nodeProofSuite,
      sessionCrypto: nodeSessionCrypto,
    });
    const b = createConnection({ local: { id: bob.id, name: 'Bob' }, identity: signerOf(bob) });
    const pipes = createMemoryPipePair(a.sink, b.sink);
    a.attach(pipes.a);
    b.attach(pipes.b);
    await Promise.all([a.opened, b.opened]);
    const got = new Promise((resolve) => a.channel('c').onMessage(resolve));
    await b.channel('c').send({ title: 'Heroes' });
    expect(await got).toEqual({ title: 'Heroes' });
    await a.close();
  });
});
