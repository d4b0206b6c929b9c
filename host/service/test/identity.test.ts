import { describe, expect, it } from 'vitest';
import { loadIdentity, peerIdFromKey } from '../../../core/connection/proof';
import { createConnection } from '../../../core/connection';
import { createMemoryPipePair } from '../../../core/testing';
import { newIdentity, nodeProofSuite, signerOf } from '../identity';
import { webCryptoSuite } from '../../../core/connection/proof';

describe('service identity', () => {
  it('node:crypto keys and core WebCrypto agree on the id, and a service identity proves itself to core', async () => {
    const stored = newIdentity('Alice');
    expect(await peerIdFromKey(signerOf(stored).publicKey)).toBe(stored.id);
    const viaCore = await loadIdentity(stored);
    expect(viaCore.id).toBe(stored.id);

    const bob = newIdentity('Bob');
    const a = createConnection({ local: { id: stored.id, name: 'Alice' }, identity: signerOf(stored) });
    const b = createConnection({ local: { id: bob.id, name: 'Bob' }, identity: signerOf(bob) });
    const pipes = createMemoryPipePair(a.sink, b.sink);
    a.attach(pipes.a);
    b.attach(pipes.b);
    await Promise.all([a.opened, b.opened]);
    expect(b.remote!.id).toBe(stored.id);
    await a.close();
  });

  it('the node:crypto proof suite agrees with WebCrypto, and a connection verifies with it', async () => {
    const alice = newIdentity('Alice');
    const key = signerOf(alice).publicKey;
    const data = new TextEncoder().encode('whatnext');
    const signature = await signerOf(alice).sign(data);
    expect(nodeProofSuite.idOf(key)).toBe(await webCryptoSuite.idOf(key));
    expect(nodeProofSuite.verify(key, data, signature)).toBe(true);
    expect(await webCryptoSuite.verify(key, data, signature)).toBe(true);
    const forged = signature.slice();
    forged[0]! ^= 1;
    expect(nodeProofSuite.verify(key, data, forged)).toBe(false);
    expect(await webCryptoSuite.verify(key, data, forged)).toBe(false);

    const bob = newIdentity('Bob');
    const a = createConnection({ local: { id: alice.id, name: 'Alice' }, identity: signerOf(alice), proofSuite: nodeProofSuite });
    const b = createConnection({ local: { id: bob.id, name: 'Bob' }, identity: signerOf(bob), proofSuite: nodeProofSuite });
    const pipes = createMemoryPipePair(a.sink, b.sink);
    a.attach(pipes.a);
    b.attach(pipes.b);
    await Promise.all([a.opened, b.opened]);
    expect(a.remote!.id).toBe(bob.id);
    await a.close();
  });
});
