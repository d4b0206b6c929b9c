/**
 * Measurements behind README.md. Run:  npx tsx plugins/simple-peer/measure.ts [runs=20]
 *
 * 1. Offer readiness without trickle: time from creating the initiator to its one complete
 *    signal, raw simple-peer (trickle: false) against this transport (trickle: false), with
 *    no ICE servers, with simple-peer's built-in STUN servers (hostnames), and with a STUN
 *    server that never answers.
 * 2. Exit: a child process connects two peers, exchanges a message, closes, and ends; time
 *    from "closed" to the process's exit, raw simple-peer against this transport. Then what
 *    happens with pipes left open (no dispose), and with process.exit() while they are open.
 * 3. Throughput of the pipe by frame size (16 MiB one way, core-style backpressure: wait for
 *    drain above 1 MiB buffered), to choose maxFrameSize.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import Peer from 'simple-peer';
import { RecordingSink, pairFromTransport } from '../../core/testing';
import { createSimplePeerTransport } from './transport';

const runs = Number(process.argv[2] ?? 20);
const wrtc = createRequire(import.meta.url)('@roamhq/wrtc');
/** simple-peer's built-in default (Peer.config): two STUN servers by hostname. */
const BUILT_IN_STUN = [{ urls: ['stun:stun.l.google.com:19302', 'stun:global.stun.twilio.com:3478'] }];
/** TEST-NET-2 (RFC 5737): never answers. */
const SILENT_STUN = [{ urls: 'stun:198.51.100.1:3478' }];

function rawOffer(iceServers: RTCIceServer[] | undefined): Promise<number> {
  const start = performance.now();
  const peer = new Peer({ initiator: true, trickle: false, wrtc, ...(iceServers ? { config: { iceServers } } : {}) });
  return new Promise((resolve) =>
    peer.once('signal', () => {
      const ms = performance.now() - start;
      peer.destroy();
      clearTimeout((peer as unknown as { _iceCompleteTimer: ReturnType<typeof setTimeout> })._iceCompleteTimer);
      resolve(ms);
    }),
  );
}

function ourOffer(iceServers: RTCIceServer[]): Promise<number> {
  const transport = createSimplePeerTransport({ iceServers: iceServers as never });
  const abort = new AbortController();
  const start = performance.now();
  return new Promise((resolve) => {
    const dial = transport.dial({
      initiator: true,
      trickle: false,
      sink: new RecordingSink(),
      stage: () => {},
      abort: abort.signal,
      sendSignal: () => {
        const ms = performance.now() - start;
        abort.abort();
        void transport.dispose().then(() => resolve(ms));
      },
    });
    dial.pipe.catch(() => {});
  });
}

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const slow = samples.filter((ms) => ms >= 1000).length;
  return `${label.padEnd(52)} n=${String(samples.length).padStart(2)}  median ${at(0.5).toFixed(0).padStart(5)} ms  max ${at(1).toFixed(0).padStart(5)} ms  ≥1 s: ${slow}`;
}

async function series(n: number, one: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await one());
  return out;
}

function exitTime(mode: string, capMs = 30_000): Promise<{ ms: number; code: number | null; signal: string | null }> {
  const child = fork(fileURLToPath(new URL('./fixtures/exit-child.ts', import.meta.url)), [mode], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  let doneAt = 0;
  child.on('message', (message) => (doneAt = (message as { doneAt: number }).doneAt));
  const cap = setTimeout(() => child.kill('SIGKILL'), capMs);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(cap);
      resolve({ ms: Date.now() - doneAt, code, signal });
    }),
  );
}

console.log(`Offer readiness without trickle (creating the initiator -> its one complete signal), ${runs} runs each:`);
console.log(summary('raw simple-peer, iceServers []', await series(runs, () => rawOffer([]))));
console.log(summary('raw simple-peer, built-in STUN (hostnames)', await series(runs, () => rawOffer(undefined))));
console.log(summary('raw simple-peer, STUN that never answers', await series(Math.min(runs, 3), () => rawOffer(SILENT_STUN))));
console.log(summary('simple-peer transport, iceServers [] (default)', await series(runs, () => ourOffer([]))));
console.log(summary('simple-peer transport, built-in STUN (hostnames)', await series(runs, () => ourOffer(BUILT_IN_STUN))));
console.log(summary('simple-peer transport, STUN that never answers', await series(Math.min(runs, 5), () => ourOffer(SILENT_STUN))));

console.log('\nExit: child connects two peers, exchanges a message, closes, ends (closed -> process exit):');
for (const mode of ['raw', 'close', 'dispose']) {
  const samples: number[] = [];
  const codes = new Set<number | null>();
  for (let i = 0; i < 5; i++) {
    const { ms, code } = await exitTime(mode);
    samples.push(ms);
    codes.add(code);
  }
  const label = { raw: 'raw simple-peer + @roamhq/wrtc, destroy()', close: 'simple-peer transport, pipe.close()', dispose: 'simple-peer transport via PluginHost, host.stop()' }[mode]!;
  console.log(`${summary(label, samples)}  exit codes ${[...codes].join(',')}`);
}

const leak = await exitTime('leak', 10_000);
console.log(`pipes left open, no dispose(): ${leak.signal ? `still running ${leak.ms} ms after the exchange, killed` : `exited after ${leak.ms} ms, code ${leak.code}`}`);
const exitOpen = await exitTime('exit-open');
console.log(`pipes left open, process.exit(0): exit code ${exitOpen.code}${exitOpen.signal ? ` (signal ${exitOpen.signal})` : ''}`);

console.log('\nThroughput, 16 MiB one way over loopback (wait for drain above 1 MiB buffered):');
for (const frameSize of [16 * 1024, 64 * 1024, 256 * 1024]) {
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const transport = createSimplePeerTransport({ maxFrameSize: frameSize });
    const sinkA = new RecordingSink();
    let received = 0;
    const total = 16 * 1024 * 1024;
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const sinkB = new RecordingSink();
    sinkB.frame = (data) => {
      received += data.byteLength;
      if (received >= total) done();
    };
    const { a } = await pairFromTransport(transport, { sinkA, sinkB });
    const frame = new Uint8Array(a.maxFrameSize);
    const start = performance.now();
    for (let sent = 0; sent < total; sent += frame.byteLength) {
      if (a.bufferedAmount!() > 1024 * 1024) {
        const drains = sinkA.drains;
        await sinkA.until(() => sinkA.drains > drains, 'drain');
      }
      a.send(frame);
    }
    await all;
    rates.push(total / 1048576 / ((performance.now() - start) / 1000));
    await transport.dispose();
  }
  console.log(`frames of ${String(frameSize / 1024).padStart(3)} KiB: ${rates.map((r) => r.toFixed(0)).join(', ')} MiB/s`);
}
