/**
 * What core's encryption costs on a transport without a secure session of its own: the TCP
 * example, connect time and throughput with the secure session (ours) next to the same
 * connection in clear (raw column), in the same run, alternated. Both peers in this process, as
 * the service would set them up: node:crypto identities, proofs and session crypto; a row with
 * core's pure-JavaScript default suite is informational.
 */
import type { Connection, ConnectionOptions } from '../core/connection/types';
import { nobleSessionCrypto, type SessionCrypto } from '../core/connection/secure/session-crypto';
import { createTestConnection } from '../core/testing';
import { newIdentity, nodeProofSuite, signerOf } from '../host/service/identity';
import { nodeSessionCrypto } from '../host/service/session-crypto';
import { createTcpTransport } from '../plugins/example-tcp';
import { BULK_BYTES, OUR_MESSAGE, TRANSFERS, megabytesPerSecond } from './bulk';
import { alternated, coolDown, measurement, percentile, timed, type Measurement } from './stats';

const CONNECTS = 20;
const BENCH = 'example-tcp, encrypted vs clear';

function options(name: string, encrypt: boolean, crypto: SessionCrypto): ConnectionOptions {
  const stored = newIdentity(name);
  return { local: { id: stored.id, name }, identity: signerOf(stored), proofSuite: nodeProofSuite, sessionCrypto: crypto, encryptUnboundPipes: encrypt };
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

export async function tcpBenchmarks(log: (m: Measurement) => void): Promise<void> {
  await close(await connect(true)); // warm both paths up before timing either
  await close(await connect(false));
  const connects = await alternated(
    CONNECTS,
    () => connectTime(true),
    () => connectTime(false),
  );
  log(measurement(BENCH, 'connect p50', 'ms', percentile(connects.ours, 0.5), percentile(connects.raw, 0.5), { n: CONNECTS, target: 'ratio ≤ 1.25 (≥ 0.8× the speed)' }));

  const encrypted = await connect(true);
  const clear = await connect(false);
  try {
    const rates = await alternated(
      TRANSFERS,
      () => throughput(encrypted),
      () => throughput(clear),
    );
    log(measurement(BENCH, 'throughput', 'MB/s', percentile(rates.ours, 0.5), percentile(rates.raw, 0.5), { n: TRANSFERS, target: 'ratio ≥ 0.8' }));
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
  log(measurement(`${BENCH}, pure-JS suite`, 'connect p50', 'ms', percentile(pure.ours, 0.5), percentile(pure.raw, 0.5), { n: 5 }));
  const pureEncrypted = await connect(true, nobleSessionCrypto);
  const pureClear = await connect(false);
  try {
    const rates = await alternated(
      3,
      () => throughput(pureEncrypted),
      () => throughput(pureClear),
    );
    log(measurement(`${BENCH}, pure-JS suite`, 'throughput', 'MB/s', percentile(rates.ours, 0.5), percentile(rates.raw, 0.5), { n: 3 }));
  } finally {
    await close(pureEncrypted);
    await close(pureClear);
  }
}
