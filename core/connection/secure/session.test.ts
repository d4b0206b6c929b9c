/**
 * The secure session on its own and under the connection: round trips, tampering, and someone
 * in the middle who holds a session with each side (the TCP example's test runs real sockets).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPipePair } from '../../testing/memory-transport';
import { createConnection } from '../connection';
import { generateIdentity } from '../proof';
import type { ConnectionOptions } from '../types';
import { NoiseXX } from './noise';
import { nobleSessionCrypto } from './session-crypto';
import { SecureSession, SessionRefused, type SecureSessionHost } from './session';
import type { Pipe, PipeSink } from '../../contracts/transport';
import { toBase64Url } from '../../util/ids';
import { FrameKind, PROTOCOL_VERSION, encodeHello } from '../wire';

const PROLOGUE = new TextEncoder().encode('test');

function handshake() {
  const crypto = nobleSessionCrypto;
  const i = new NoiseXX(true, crypto, PROLOGUE, { static: crypto.generateKeyPair() });
  const r = new NoiseXX(false, crypto, PROLOGUE, { static: crypto.generateKeyPair() });
  expect(new TextDecoder().decode(r.readMessage(i.writeMessage(new TextEncoder().encode('one'))))).toBe('one');
  expect(new TextDecoder().decode(i.readMessage(r.writeMessage(new TextEncoder().encode('two'))))).toBe('two');
  expect(new TextDecoder().decode(r.readMessage(i.writeMessage(new TextEncoder().encode('three'))))).toBe('three');
  return { i: i.result(), r: r.result() };
}

describe('Noise XX', () => {
  it('agrees on one handshake hash and a key per direction, and each side learns the other static key', () => {
    const { i, r } = handshake();
    expect(i.handshakeHash).toEqual(r.handshakeHash);
    const frame = new TextEncoder().encode('hello');
    expect(r.receive.decrypt(i.send.encrypt(frame))).toEqual(frame);
    expect(i.receive.decrypt(r.send.encrypt(frame))).toEqual(frame);
    // Each direction has its own key: a frame sealed one way does not open the other way.
    const { i: i2 } = handshake();
    expect(() => i2.receive.decrypt(i2.send.encrypt(frame))).toThrow(/did not authenticate/);
  });

  it('refuses a frame altered, replayed, reordered or after a dropped one', () => {
    const frames = (count: number) => {
      const { i, r } = handshake();
      return { sealed: Array.from({ length: count }, (_, n) => i.send.encrypt(Uint8Array.of(n, n, n))), r };
    };
    const flipped = frames(1);
    flipped.sealed[0]![0]! ^= 1;
    expect(() => flipped.r.receive.decrypt(flipped.sealed[0]!)).toThrow(/did not authenticate/);
    const replayed = frames(1);
    replayed.r.receive.decrypt(replayed.sealed[0]!);
    expect(() => replayed.r.receive.decrypt(replayed.sealed[0]!)).toThrow(/did not authenticate/);
    const reordered = frames(2);
    expect(() => reordered.r.receive.decrypt(reordered.sealed[1]!)).toThrow(/did not authenticate/);
    const dropped = frames(3);
    dropped.r.receive.decrypt(dropped.sealed[0]!);
    expect(() => dropped.r.receive.decrypt(dropped.sealed[2]!)).toThrow(/did not authenticate/);
  });

  it('refuses a handshake message altered on the way', () => {
    const crypto = nobleSessionCrypto;
    const i = new NoiseXX(true, crypto, PROLOGUE, { static: crypto.generateKeyPair() });
    const r = new NoiseXX(false, crypto, PROLOGUE, { static: crypto.generateKeyPair() });
    r.readMessage(i.writeMessage(new Uint8Array(0)));
    const message2 = r.writeMessage(new Uint8Array(0));
    message2[40]! ^= 1; // inside the encrypted static key
    expect(() => i.readMessage(message2)).toThrow(/did not authenticate/);
  });
});

async function person(name: string) {
  const { id, identity } = await generateIdentity();
  return { local: { id, name }, identity };
}

describe('the connection over an unbound pipe', () => {
  it('opens with identities, carries messages, and nothing on the pipe is in clear', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const a = createConnection({ ...alice, expectedRemote: bob.local.id });
    const b = createConnection({ ...bob, expectedRemote: alice.local.id });
    const seen: Uint8Array[] = [];
    const tap = (sink: PipeSink): PipeSink => ({ ...sink, frame: (data) => (seen.push(data.slice()), sink.frame(data)) });
    const pipes = createMemoryPipePair(tap(a.sink), tap(b.sink));
    a.attach(pipes.a);
    b.attach(pipes.b);
    await Promise.all([a.opened, b.opened]);
    expect(a.remote).toEqual(bob.local);
    const got = new Promise((resolve) => b.channel('tracks').onMessage(resolve));
    await a.channel('tracks').send({ title: 'Bohemian Rhapsody' });
    expect(await got).toEqual({ title: 'Bohemian Rhapsody' });
    const all = Buffer.concat(seen);
    for (const clear of ['Bohemian', 'Alice', 'Bob', 'tracks']) expect(all.includes(Buffer.from(clear)), clear).toBe(false);
    await a.close();
  });

  it('fits the handshake, hellos with the longest names and proofs made ahead included, in 1 KiB frames', async () => {
    const name = '界'.repeat(64); // 64 characters of 3 UTF-8 bytes: the longest name in bytes
    const alice = await person(name);
    const bob = await person(name);
    const a = createConnection({ ...alice });
    const b = createConnection({ ...bob });
    // Each side's proof is made ahead, so each hello carries one too (as through manual codes).
    const aheadA = a.handshakeAhead(() => bob.local.id);
    const aheadB = b.handshakeAhead(() => alice.local.id);
    aheadA.remoteNonce(aheadB.nonce);
    aheadB.remoteNonce(aheadA.nonce);
    // Resolve once the proofs are made.
    const hellos = (await Promise.all([aheadA.hello(), aheadB.hello()])) as ({ auth?: { proof?: string } } | undefined)[];
    expect(hellos.every((hello) => hello?.auth?.proof)).toBe(true);
    const sizes: number[] = [];
    const measure = (sink: PipeSink): PipeSink => ({ ...sink, frame: (data) => (sizes.push(data.byteLength), sink.frame(data)) });
    const pipes = createMemoryPipePair(measure(a.sink), measure(b.sink), { maxFrameSize: 1024 });
    a.attach(pipes.a);
    b.attach(pipes.b);
    await Promise.all([a.opened, b.opened]);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1024);
    expect(Math.max(...sizes)).toBeGreaterThan(600); // a hello with a proof rode in a handshake message
    await a.close();
  });

  it('leaves a pipe whose transport reports a secure session of its own as it is', async () => {
    const a = createConnection({ local: { id: 'aaaaaaaaaaaaaaaaaaaaaaaaaa', name: 'A' } });
    const b = createConnection({ local: { id: 'bbbbbbbbbbbbbbbbbbbbbbbbbb', name: 'B' } });
    // As a WebRTC pipe does from its descriptions, before any frame.
    a.sink.binding?.('local', 'sha-256 AA');
    a.sink.binding?.('remote', 'sha-256 BB');
    b.sink.binding?.('local', 'sha-256 BB');
    b.sink.binding?.('remote', 'sha-256 AA');
    const kinds: number[] = [];
    const tap = (sink: PipeSink): PipeSink => ({ ...sink, frame: (data) => (kinds.push(data[0]!), sink.frame(data)) });
    const pipes = createMemoryPipePair(tap(a.sink), tap(b.sink));
    a.attach(pipes.a);
    b.attach(pipes.b);
    await Promise.all([a.opened, b.opened]);
    expect(kinds.slice(0, 2)).toEqual([FrameKind.hello, FrameKind.hello]);
    await a.close();
  });

  it('tells a peer that does not encrypt apart from a corrupt one', async () => {
    const a = createConnection({ local: { id: 'aaaaaaaaaaaaaaaaaaaaaaaaaa', name: 'A' } });
    const b = createConnection({ local: { id: 'bbbbbbbbbbbbbbbbbbbbbbbbbb', name: 'B' }, encryptUnboundPipes: false });
    const pipes = createMemoryPipePair(a.sink, b.sink);
    a.attach(pipes.a);
    b.attach(pipes.b);
    expect(await a.closed).toMatchObject({ by: 'error', code: 'protocol-error', message: expect.stringMatching(/does not encrypt this pipe/) });
  });
});

/**
 * Someone in the middle: it holds a secure session with each side, with static keys of its own,
 * claims in each to be the peer on the other side (a hello naming that peer's id and key, both
 * public), and passes the inner frames after the hellos between them. `identity` is the
 * identity it signs its sessions with, if any.
 */
function middle(forge: { identity?: Awaited<ReturnType<typeof person>>['identity']; hellos: { a: Uint8Array; b: Uint8Array } }) {
  const created = { a: undefined as SecureSession | undefined, b: undefined as SecureSession | undefined };
  const wraps: { a?: Pipe; b?: Pipe } = {};
  const failures: unknown[] = [];
  const helloPassed = { a: false, b: false };
  const host = (side: 'a' | 'b'): SecureSessionHost => ({
    hello: () => forge.hellos[side],
    deliver: (frame) => {
      // The peer's real hello stays here: the other side got a forged one.
      if (!helloPassed[side]) return void (helloPassed[side] = true);
      try {
        wraps[side === 'a' ? 'b' : 'a']?.send(frame);
      } catch {
        // that side closed already
      }
    },
    secured: () => {},
    fail: (error) => failures.push(error),
    pipeRefused: (error) => failures.push(error),
    ended: () => false,
  });
  created.a = new SecureSession(host('a'), { identity: forge.identity });
  created.b = new SecureSession(host('b'), { identity: forge.identity });
  return { sessions: created, wraps, failures };
}

describe('someone in the middle', () => {
  async function attempt(forgeIdentity: boolean, options: Partial<ConnectionOptions> = {}) {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const mallory = await person('Mallory');
    const a = createConnection({ ...alice, ...options });
    const b = createConnection({ ...bob, ...options });
    const hello = (who: typeof alice) =>
      encodeHello({ protocol: PROTOCOL_VERSION, peer: who.local, auth: { nonce: toBase64Url(new Uint8Array(16)), key: toBase64Url(who.identity.publicKey) } });
    const m = middle({ identity: forgeIdentity ? mallory.identity : undefined, hellos: { a: hello(bob), b: hello(alice) } });
    // a ↔ middle (its session "a") and middle (its session "b") ↔ b.
    const toA = createMemoryPipePair(a.sink, { frame: (f) => m.sessions.a!.receive(f), drain: () => {}, closed: () => {} } as PipeSink);
    const toB = createMemoryPipePair({ frame: (f) => m.sessions.b!.receive(f), drain: () => {}, closed: () => {} } as PipeSink, b.sink);
    m.wraps.a = m.sessions.a!.wrap(toA.b);
    m.wraps.b = m.sessions.b!.wrap(toB.a);
    a.attach(toA.a);
    b.attach(toB.b);
    m.sessions.a!.start(toA.b);
    m.sessions.b!.start(toB.a);
    return { a: await a.closed, b: await b.closed };
  }

  it('with an identity of its own: the peers refuse, the hello names another key than the session', async () => {
    const { a, b } = await attempt(true);
    // Whichever refuses first tells the other (the middle passes its close frame on), or both refuse.
    expect([a.code, b.code]).toEqual(['handshake-failed', 'handshake-failed']);
    const refusal = [a, b].find((reason) => reason.by === 'error');
    expect(refusal?.message).toMatch(/other than the one that secured the connection/);
  });

  it('claiming no identity: both peers refuse, even without requiring proof', async () => {
    const { a, b } = await attempt(false, { requireProof: false });
    expect([a.code, b.code]).toEqual(['handshake-failed', 'handshake-failed']);
  });

  it("passing on a peer's own payload with its own static key: the signature does not cover that key", async () => {
    const alice = await person('Alice');
    // What Alice sends in her session, replayed by someone else in a session of its own.
    const seenPayload = await new Promise<Uint8Array>((resolve) => {
      const host: SecureSessionHost = {
        hello: () => Uint8Array.of(1),
        deliver: () => {},
        secured: () => {},
        fail: () => {},
        pipeRefused: () => {},
        ended: () => false,
      };
      const session = new SecureSession(host, { identity: alice.identity });
      const probe = new NoiseXX(false, nobleSessionCrypto, new TextEncoder().encode('whatnext/secure/v1'), { static: nobleSessionCrypto.generateKeyPair() });
      let step = 0;
      session.start({
        maxFrameSize: 4096,
        send: (frame) => {
          if (step++ === 0) {
            probe.readMessage(frame.subarray(1));
            // No identity, and a hello (what it holds does not matter here).
            queueMicrotask(() => session.receive(Uint8Array.of(FrameKind.secure, ...probe.writeMessage(Uint8Array.of(0, 1)))));
          } else {
            resolve(probe.readMessage(frame.subarray(1)));
          }
        },
        close: () => {},
      });
    });
    expect(seenPayload.byteLength).toBe(1 + 32 + 64 + 1); // identity, then the hello
    // Mallory answers Bob's message 1 and sends Alice's payload as its own, with its static key.
    const bob = await person('Bob');
    const refused = new Promise<unknown>((resolve) => {
      const host: SecureSessionHost = {
        hello: () => Uint8Array.of(1),
        deliver: () => {},
        secured: () => resolve('secured'),
        fail: resolve,
        pipeRefused: resolve,
        ended: () => false,
      };
      const session = new SecureSession(host, { identity: bob.identity });
      const mallory = new NoiseXX(false, nobleSessionCrypto, new TextEncoder().encode('whatnext/secure/v1'), { static: nobleSessionCrypto.generateKeyPair() });
      session.start({
        maxFrameSize: 4096,
        send: (frame) => {
          mallory.readMessage(frame.subarray(1));
          queueMicrotask(() => session.receive(Uint8Array.of(FrameKind.secure, ...mallory.writeMessage(seenPayload))));
        },
        close: () => {},
      });
    });
    const outcome = await refused;
    if (outcome !== 'secured') expect(outcome).toBeInstanceOf(SessionRefused);
    else expect.unreachable('Bob accepted a payload signed over another static key');
  });
});

it('keeps at most a bounded number of frames before the pipe', () => {
  const failures: unknown[] = [];
  const session = new SecureSession(
    { hello: () => Uint8Array.of(1), deliver: () => {}, secured: () => {}, fail: (e) => failures.push(e), pipeRefused: () => {}, ended: () => false },
    { identity: undefined },
  );
  for (let n = 0; n < 100; n++) session.receive(Uint8Array.of(FrameKind.secure, 1, 2, 3));
  expect(failures).toHaveLength(1);
  expect(String(failures[0])).toMatch(/before the pipe opened/);
});
