/**
 * What core's encryption costs on a transport without a secure session of its own: the TCP
 * example, connect time and throughput with the secure session (ours) next to the same
 * connection in clear (raw column), in the same run, alternated, set up as the service does
 * (node:crypto identities, proofs and session crypto).
 *
 * The target's rows: each peer in its own process (the listener in bench/tcp-peer.ts), as
 * WhatNext runs (a service process per app), so each side seals or opens on its own thread.
 * Informational: both peers in this process, where every frame is sealed and opened on one
 * thread, and core's pure-JavaScript default suite.
 */
import type { PeerIdentity } from '../core/connection/proof';
import type { Connection, ConnectionOptions } from '../core/connection/types';
import { nobleSessionCrypto, type SessionCrypto } from '../core/connection/secure/session-crypto';
import { createTestConnection } from '../core/testing';
import { newIdentity, nodeProofSuite, signerOf } from '../host/service/identity';
import { nodeSessionCrypto } from '../host/service/session-crypto';
import { createTcpTransport } from '../plugins/example-tcp/index';
import { fileURLToPath } from 'node:url';
import { BULK_BYTES, OUR_MESSAGE, TRANSFERS, megabytesPerSecond } from './bulk';
import { forkPeer, type ForkedPeer } from './forked-peer';
import type { TcpPeerCommand, TcpPeerReply } from './tcp-peer';
import { alternated, coolDown, measurement, percentile, timed, type Measurement } from './stats';

const CONNECTS = 20;
const BENCH = 'example-tcp, encrypted vs clear';

/** One identity per peer for the whole run, as a service keeps its own. */
const identities = new Map<string, { id: string; identity: PeerIdentity }>();

function options(name: string, encrypt: boolean, crypto: SessionCrypto): ConnectionOptions {
  let peer = identities.get(name);
  if (!peer) {
    const stored = newIdentity(name);
    identities.set(name, (peer = { id: stored.id, identity: signerOf(stored) }));
  }
  return { local: { id: peer.id, name }, identity: peer.identity, proofSuite: nodeProofSuite, sessionCrypto: crypto, encryptUnboundPipes: encrypt };
}

interface Pair {
  a: Connection;
  b: Connection;
}

async function connect(encrypt: boolean, crypto: SessionCrypto = nodeSessionCrypto): Promise<Pair> {
  const transport = createTcpTransport();
  const a = createTestConnection(options('Alice', encrypt, crypto));
  const b = createTestConnection(options('Bob', encrypt, crypto));
  const abort = new AbortController().signal;
  const base = { stage: () => {}, abort };
  const dialB = transport.dial({ ...base, initiator: false, sink: b.sink, sendSignal: () => {} });
  const dialA = transport.dial({ ...base, initiator: true, sink: a.sink, sendSignal: (signal) => dialB.signal(signal) });
  const [pipeA, pipeB] = await Promise.all([dialA.pipe, dialB.pipe]);
  a.attach(pipeA);
  b.attach(pipeB);
  await Promise.all([a.opened, b.opened]);
  return { a, b };
}

async function close({ a, b }: Pair): Promise<void> {
  await Promise.all([a.close('bench'), b.closed]);
}

async function connectTime(encrypt: boolean, crypto?: SessionCrypto): Promise<number> {
  let pair: Pair | undefined;
  const ms = await timed(async () => (pair = await connect(encrypt, crypto)));
  await close(pair!);
  await coolDown();
  return ms;
}

async function throughput({ a, b }: Pair): Promise<number> {
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const stop = b.channel('bulk').onMessage((message) => {
    received += (message as Uint8Array).byteLength;
    if (received >= BULK_BYTES) done();
  });
  const chunk = new Uint8Array(OUR_MESSAGE).fill(7);
  try {
    const ms = await timed(async () => {
      for (let sent = 0; sent < BULK_BYTES; sent += chunk.byteLength) await a.channel('bulk').send(chunk);
      await all;
    });
    return megabytesPerSecond(BULK_BYTES, ms);
  } finally {
    stop();
  }
}

const PEER = fileURLToPath(new URL('./tcp-peer.ts', import.meta.url));
type Listener = ForkedPeer<TcpPeerCommand, TcpPeerReply>;

/** A connection to the listener process; resolves once both sides are open. */
async function connectApart(listener: Listener, encrypt: boolean): Promise<Connection> {
  const stored = options('Dialler', encrypt, nodeSessionCrypto);
  listener.send({ type: 'dial', encrypt });
  const { signal } = await listener.next('signal');
  const b = createTestConnection(stored);
  const dial = createTcpTransport().dial({ initiator: false, sink: b.sink, sendSignal: () => {}, stage: () => {}, abort: new AbortController().signal });
  dial.signal(signal);
  b.attach(await dial.pipe);
  await Promise.all([b.opened, listener.next('opened')]);
  return b;
}

async function closeApart(listener: Listener, b: Connection): Promise<void> {
  listener.send({ type: 'close' });
  await Promise.all([b.close('bench'), listener.next('closed')]);
}

async function connectTimeApart(listener: Listener, encrypt: boolean): Promise<number> {
  let b: Connection | undefined;
  const ms = await timed(async () => (b = await connectApart(listener, encrypt)));
  await closeApart(listener, b!);
  await coolDown();
  return ms;
}

/** Bytes per transfer between processes: long enough (a few hundred ms) for a rate to mean
 * something on a shared machine. */
const APART_BYTES = 4 * BULK_BYTES;

/** One transfer: its wall-clock rate, and the rate the busier process's CPU time allows (what a
 * noisy machine moves least: each side's work per byte). */
async function throughputApart(listener: Listener, b: Connection): Promise<{ wall: number; cpu: number }> {
  listener.send({ type: 'expect', bytes: APART_BYTES });
  const chunk = new Uint8Array(OUR_MESSAGE).fill(7);
  const cpuBefore = process.cpuUsage();
  let receiverMicros = 0;
  const ms = await timed(async () => {
    for (let sent = 0; sent < APART_BYTES; sent += chunk.byteLength) await b.channel('bulk').send(chunk);
    receiverMicros = (await listener.next('received')).cpuMicros;
  });
  const sender = process.cpuUsage(cpuBefore);
  const busier = Math.max(sender.user + sender.system, receiverMicros);
  return { wall: megabytesPerSecond(APART_BYTES, ms), cpu: megabytesPerSecond(APART_BYTES, busier / 1000) };
}

async function apart(log: (m: Measurement) => void): Promise<void> {
  const listener = forkPeer<TcpPeerCommand, TcpPeerReply>(PEER, 'tcp listener', { stop: { type: 'stop' }, stdout: 'inherit', waitMs: 60_000 });
  try {
    await closeApart(listener, await connectApart(listener, true)); // warm both paths up
    await closeApart(listener, await connectApart(listener, false));
    const connects = await alternated(
      CONNECTS,
      () => connectTimeApart(listener, true),
      () => connectTimeApart(listener, false),
    );
    log(
      measurement(BENCH, 'connect p50, a process per peer', 'ms', percentile(connects.ours, 0.5), percentile(connects.raw, 0.5), {
        n: CONNECTS,
        target: 'ratio ≤ 1.25 (≥ 0.8× the speed)',
      }),
    );
    const rates = { ours: [] as { wall: number; cpu: number }[], raw: [] as { wall: number; cpu: number }[] };
    for (let i = 0; i < TRANSFERS; i++) {
      // A fresh connection per transfer: the listener serves one at a time.
      for (const encrypt of [true, false]) {
        const b = await connectApart(listener, encrypt);
        rates[encrypt ? 'ours' : 'raw'].push(await throughputApart(listener, b));
        await closeApart(listener, b);
      }
    }
    const p50 = (side: 'ours' | 'raw', of: 'wall' | 'cpu') =>
      percentile(
        rates[side].map((rate) => rate[of]),
        0.5,
      );
    log(
      measurement(BENCH, "throughput the busier process's CPU allows, a process per peer", 'MB/s', p50('ours', 'cpu'), p50('raw', 'cpu'), {
        n: TRANSFERS,
        target: 'ratio ≥ 0.8',
      }),
    );
    log(measurement(BENCH, 'throughput, wall clock, a process per peer', 'MB/s', p50('ours', 'wall'), p50('raw', 'wall'), { n: TRANSFERS }));
  } finally {
    await listener.stop();
  }
}

export async function tcpBenchmarks(log: (m: Measurement) => void): Promise<void> {
  await apart(log);
  await together(log);
}

/** Informational: both peers in this process. */
async function together(log: (m: Measurement) => void): Promise<void> {
  await close(await connect(true)); // warm both paths up before timing either
  await close(await connect(false));
  const connects = await alternated(
    CONNECTS,
    () => connectTime(true),
    () => connectTime(false),
  );
  log(measurement(BENCH, 'connect p50, both peers in one process', 'ms', percentile(connects.ours, 0.5), percentile(connects.raw, 0.5), { n: CONNECTS }));

  const encrypted = await connect(true);
  const clear = await connect(false);
  try {
    const rates = await alternated(
      TRANSFERS,
      () => throughput(encrypted),
      () => throughput(clear),
    );
    log(measurement(BENCH, 'throughput, both peers in one process', 'MB/s', percentile(rates.ours, 0.5), percentile(rates.raw, 0.5), { n: TRANSFERS }));
  } finally {
    await close(encrypted);
    await close(clear);
  }

  // Informational: core's default suite (pure JavaScript), as a plugin host that passes none runs.
  const pure = await alternated(
    5,
    () => connectTime(true, nobleSessionCrypto),
    () => connectTime(false),
  );
  log(measurement(`${BENCH}, pure-JS suite`, 'connect p50, both peers in one process', 'ms', percentile(pure.ours, 0.5), percentile(pure.raw, 0.5), { n: 5 }));
  const pureEncrypted = await connect(true, nobleSessionCrypto);
  const pureClear = await connect(false);
  try {
    const rates = await alternated(
      3,
      () => throughput(pureEncrypted),
      () => throughput(pureClear),
    );
    log(
      measurement(`${BENCH}, pure-JS suite`, 'throughput, both peers in one process', 'MB/s', percentile(rates.ours, 0.5), percentile(rates.raw, 0.5), {
        n: 3,
      }),
    );
  } finally {
    await close(pureEncrypted);
    await close(pureClear);
  }
}
