import { describe, expect, it } from 'vitest';
import { loadIdentity, peerIdFromKey, webCryptoSuite, type ProofSuite } from '../../../core/connection/proof';
import { createMemoryPipePair, createTestConnection } from '../../../core/testing';
import { newIdentity, nodeProofSuite, signerOf, type StoredIdentity } from '../identity';

/** Two service identities connected over the in-memory pipe, proving themselves. */
async function connect(alice: StoredIdentity, bob: StoredIdentity, proofSuite?: ProofSuite) {
  const a = createTestConnection({ local: { id: alice.id, name: alice.name }, identity: signerOf(alice), ...(proofSuite ? { proofSuite } : {}) });
  const b = createTestConnection({ local: { id: bob.id, name: bob.name }, identity: signerOf(bob), ...(proofSuite ? { proofSuite } : {}) });
  const pipes = createMemoryPipePair(a.sink, b.sink);
  a.attach(pipes.a);
  b.attach(pipes.b);
  await Promise.all([a.opened, b.opened]);
  return { a, b };
}

describe('service identity', () => {
  it('node:crypto keys and core WebCrypto agree on the id, and a service identity proves itself to core', async () => {
    const stored = newIdentity('Alice');
    expect(await peerIdFromKey(signerOf(stored).publicKey)).toBe(stored.id);
    expect((await loadIdentity(stored)).id).toBe(stored.id);

    const { a, b } = await connect(stored, newIdentity('Bob'));
    expect(b.remote!.id).toBe(stored.id);
    await a.close();
  });

  it('the node:crypto proof suite agrees with WebCrypto, and a connection verifies with it', async () => {
    const alice = newIdentity('Alice');
    const key = signerOf(alice).publicKey;
    const data = new TextEncoder().encode('whatnext');
    const signature = await signerOf(alice).sign(data);
    expect(nodeProofSuite.idOf(key)).toBe(await webCryptoSuite.idOf(key));
    expect(await nodeProofSuite.verify(key, data, signature)).toBe(true);
    expect(await webCryptoSuite.verify(key, data, signature)).toBe(true);
    const forged = signature.slice();
    forged[0]! ^= 1;
    expect(await nodeProofSuite.verify(key, data, forged)).toBe(false);
    expect(await webCryptoSuite.verify(key, data, forged)).toBe(false);

    const bob = newIdentity('Bob');
    const { a } = await connect(alice, bob, nodeProofSuite);
    expect(a.remote!.id).toBe(bob.id);
    await a.close();
  });
});
