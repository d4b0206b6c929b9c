/**
 * Connection benchmarks (issue: real peer connections): connect time, round-trip latency and
 * throughput through a core connection, each next to the raw library in the same run.
 */
import { manual } from '../plugins/manual';
import { simplePeer } from '../plugins/simple-peer';
import { peerjs } from '../plugins/peerjs';
import { webrtc } from '../plugins/webrtc';
import { startBroker, type Broker } from '../plugins/peerjs/broker';
import { randomBase32 } from '../core/util/ids';
import { peerjsConnectsAcrossProcesses } from './connect-processes';
import { mqttVersusPeerjs } from './mqtt';
import { closePair, connectManual, connectPeerjs, ourPeer, preparePeerjs, type OurPair, type OurPeer } from './ours';
import { rawPeerJs, rawSimplePeer, type RawPair } from './raw';
import { BULK_BYTES, OUR_MESSAGE, RAW_CHUNK, TRANSFERS, megabytesPerSecond } from './bulk';
import { alternated, coolDown, measurement, percentile, repeat, timed, type Measurement } from './stats';

const CONNECTS = 20;
const PINGS = 200;

export async function connectionBenchmarks(log: (m: Measurement) => void): Promise<void> {
  await manualVersusSimplePeer(log);
  const broker = await startBroker({ port: 0 });
  try {
    await peerjsVersusRaw(broker, log);
    await mqttVersusPeerjs(broker, CONNECTS, log);
  } finally {
    await broker.close();
  }
}

/** `npm run bench mqtt`: only the MQTT row (MQTT, PeerJS and raw simple-peer, alternated). */
export async function mqttBenchmarks(log: (m: Measurement) => void): Promise<void> {
  const broker = await startBroker({ port: 0 });
  try {
    await mqttVersusPeerjs(broker, CONNECTS, log);
  } finally {
    await broker.close();
  }
}

async function manualVersusSimplePeer(log: (m: Measurement) => void): Promise<void> {
  const a = await ourPeer('Alice', [manual(), webrtc(), simplePeer()]);
  const b = await ourPeer('Bob', [manual(), webrtc(), simplePeer()]);
  try {
    await compare('manual + simple-peer', log, {
      ours: () => connectManual(a, b),
      raw: () => rawSimplePeer(),
      connectTarget: { p50: 'p50 ≤ 300 ms', max: 'max ≤ 1000 ms' },
    });
    // What a person carries: our codes next to raw simple-peer's one signal a side, as JSON.
    const ours = await connectManual(a, b);
    await closePair(ours);
    let rawSignals = { offer: '', answer: '' };
    const raw = await rawSimplePeer((offer, answer) => (rawSignals = { offer, answer }));
    await raw.close();
    for (const [metric, our, theirs] of [
      ['invite code, loopback', ours.codes!.invite, rawSignals.offer],
      ['reply code, loopback', ours.codes!.reply, rawSignals.answer],
    ] as const) {
      log(measurement('manual + simple-peer', metric, 'characters', our.length, theirs.length, { target: 'ours ≤ 200' }));
    }
  } finally {
    await a.stop();
    await b.stop();
  }
}

async function peerjsVersusRaw(broker: Broker, log: (m: Measurement) => void): Promise<void> {
  const plugin = () => peerjs({ host: broker.host, port: broker.port, path: broker.path, key: broker.key });
  const a = await ourPeer('Alice', [webrtc(), plugin()]);
  const b = await ourPeer('Bob', [webrtc(), plugin()]);
  const raw = await rawPeerJs(broker, [randomBase32(), randomBase32()]);
  try {
    await closePair(await connectPeerjs(a, b)); // registers both on the broker, as raw's peers are
    await compare('peerjs', log, {
      prepareOurs: async () => {
        const prepared = await preparePeerjs(a, b);
        return () => prepared.connect();
      },
      ours: () => connectPeerjs(a, b),
      raw: () => raw.connect(),
      // Informational: both peers' work queues on one thread here.
      connectLayout: 'both peers in one process',
    });
  } finally {
    raw.close();
    await a.stop();
    await b.stop();
  }
  // The target's measurement: each peer in its own process, as WhatNext runs (a service process
  // per app) and as people run PeerJS, each peer's work on its own thread.
  const apart = await peerjsConnectsAcrossProcesses(broker, CONNECTS);
  log(
    measurement('peerjs', 'connect p50, a process per peer', 'ms', percentile(apart.ours, 0.5), percentile(apart.raw, 0.5), {
      n: CONNECTS,
      target: 'ratio ≤ 1.2',
    }),
  );
  log(measurement('peerjs', 'connect max, a process per peer', 'ms', Math.max(...apart.ours), Math.max(...apart.raw), { n: CONNECTS }));
}

interface Contest {
  /** Untimed preparation (an invite made before anyone opens it), then the timed connect. */
  prepareOurs?(): Promise<() => Promise<OurPair>>;
  ours(): Promise<OurPair>;
  raw(): Promise<RawPair>;
  /** Named in the connect metrics when it is not the only layout measured. */
  connectLayout?: string;
  connectTarget?: { p50?: string; max?: string };
}

async function compare(bench: string, log: (m: Measurement) => void, contest: Contest): Promise<void> {
  const { ours, raw } = await alternated(
    CONNECTS,
    async () => {
      let pair: OurPair | undefined;
      const connect = contest.prepareOurs ? await contest.prepareOurs() : contest.ours;
      const ms = await timed(async () => (pair = await connect()));
      await closePair(pair!);
      await coolDown();
      return ms;
    },
    async () => {
      let rawPair: RawPair | undefined;
      const ms = await timed(async () => (rawPair = await contest.raw()));
      await rawPair!.close();
      await coolDown();
      return ms;
    },
  );
  const layout = contest.connectLayout ? `, ${contest.connectLayout}` : '';
  log(measurement(bench, `connect p50${layout}`, 'ms', percentile(ours, 0.5), percentile(raw, 0.5), { n: CONNECTS, target: contest.connectTarget?.p50 }));
  log(measurement(bench, `connect max${layout}`, 'ms', Math.max(...ours), Math.max(...raw), { n: CONNECTS, target: contest.connectTarget?.max }));

  const pair = await contest.ours();
  const rawPair = await contest.raw();
  try {
    log(measurement(bench, 'round trip p50', 'ms', percentile(await ourPings(pair), 0.5), percentile(await rawPings(rawPair), 0.5), { n: PINGS }));
    const rates = await alternated(
      TRANSFERS,
      () => ourThroughput(pair),
      () => rawThroughput(rawPair),
    );
    log(measurement(bench, 'throughput', 'MB/s', percentile(rates.ours, 0.5), percentile(rates.raw, 0.5), { n: TRANSFERS, target: 'ratio ≥ 0.9' }));
  } finally {
    await closePair(pair);
    await rawPair.close();
  }
}

async function ourPings({ a, b }: OurPair): Promise<number[]> {
  b.channel('ping').onRequest((message) => message);
  const ping = new Uint8Array(16);
  return repeat(PINGS, () => timed(() => a.channel('ping').request(ping)));
}

async function rawPings(pair: RawPair): Promise<number[]> {
  // Removed afterwards: an echo left on would send every byte of the throughput test back.
  const stopEcho = pair.onData('b', (data) => pair.send('b', data));
  let resolve: () => void = () => {};
  const stopListening = pair.onData('a', () => resolve());
  const ping = new Uint8Array(16);
  try {
    return await repeat(PINGS, () =>
      timed(
        () =>
          new Promise<void>((r) => {
            resolve = r;
            pair.send('a', ping);
          }),
      ),
    );
  } finally {
    stopEcho();
    stopListening();
  }
}

/** MB/s for BULK_BYTES one way, in `chunkBytes` writes: `write` resolves when the sender may
 * go on (ours: core's backpressure; raw: the library's own flow control), `listen` hears the
 * byte count of each message arriving and returns a function that stops listening. */
async function throughput(
  listen: (bytes: (count: number) => void) => () => void,
  write: (chunk: Uint8Array) => Promise<void>,
  chunkBytes: number,
): Promise<number> {
  let received = 0;
  let stop = () => {};
  const done = new Promise<void>((resolve) => {
    stop = listen((count) => {
      received += count;
      if (received >= BULK_BYTES) resolve();
    });
  });
  const chunk = new Uint8Array(chunkBytes).fill(7);
  try {
    const ms = await timed(async () => {
      for (let sent = 0; sent < BULK_BYTES; sent += chunk.byteLength) await write(chunk);
      await done;
    });
    return megabytesPerSecond(BULK_BYTES, ms);
  } finally {
    stop();
  }
}

const ourThroughput = ({ a, b }: OurPair) =>
  throughput(
    (bytes) => b.channel('bulk').onMessage((message) => bytes((message as Uint8Array).byteLength)),
    (chunk) => a.channel('bulk').send(chunk),
    OUR_MESSAGE,
  );

const rawThroughput = (pair: RawPair) =>
  throughput(
    (bytes) => pair.onData('b', (data) => bytes(data.byteLength)),
    (chunk) => pair.write('a', chunk),
    RAW_CHUNK,
  );

export type { OurPeer };
