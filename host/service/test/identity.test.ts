import { describe, expect, it } from 'vitest';
import { loadIdentity, peerIdFromKey } from '../../../core/connection/proof';
import { createConnection } from '../../../core/connection';
import { createMemoryPipePair } from '../../../core/testing';
import { newIdentity, signerOf } from '../identity';

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
});
