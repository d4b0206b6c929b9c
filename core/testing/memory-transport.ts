/**
 * The in-memory reference transport: what a well-behaved pipe does, in a few lines, for tests
 * and as an example for transport authors.
 *
 * Each end has an outbound queue. A delivery tick (setImmediate) moves up to `bytesPerTick` of
 * it to the other end's sink, so delivery is asynchronous and bandwidth is finite: a fast
 * sender sees `bufferedAmount()` grow and gets `drain()` when it falls back to the low-water
 * mark. Pausing an end's reader stops deliveries to it, as a reader that stops reading stops a
 * TCP window: the sender's buffered amount then grows until its backpressure holds it.
 *
 * Closing is graceful, like a data channel's: frames already sent still reach the remote, then
 * the remote's sink sees `closed()`. `destroy(error)` models a failure: both ends stop at once
 * and both sinks see `closed(error)`.
 */
import { withoutUndefined } from '../util/objects';
import { z } from 'zod';
import type { Dial, DialOptions, Pipe, PipeSink, Transport } from '../contracts/transport';
import { TransportError } from '../errors';
import { definePlugin, type PluginInstance } from '../plugin';

export interface MemoryPipeOptions {
  /** Largest frame `send` accepts. Default 16 KiB (a safe WebRTC data channel message). */
  maxFrameSize?: number;
  /** `drain()` fires when the buffered amount falls to this. Default 64 KiB. */
  lowWaterMark?: number;
  /** Bytes one delivery tick moves (at least one frame). Default 256 KiB. */
  bytesPerTick?: number;
  /** Leave out `bufferedAmount` and `lowWaterMark`, like a transport without backpressure. */
  withoutBufferedAmount?: boolean;
  /** Called with each end a dial of `createMemoryTransport` opens, so a test can hold one (to
   * pause its reading, or break it) without reaching into the connection. */
  onPipe?: (pipe: MemoryPipe) => void;
}

export interface MemoryPipe extends Pipe {
  /** Stop delivering frames to this end (a slow reader); the remote's buffered amount grows. */
  pauseReading(): void;
  resumeReading(): void;
  /** Fail the pipe: both ends end at once with `error`, queued frames are lost. */
  destroy(error?: Error): void;
  readonly isClosed: boolean;
}

const DEFAULTS = { maxFrameSize: 16 * 1024, lowWaterMark: 64 * 1024, bytesPerTick: 256 * 1024 };

class MemoryEnd {
  peer!: MemoryEnd;
  open = true;
  paused = false;
  private readonly outbound: Uint8Array[] = [];
  private outboundBytes = 0;
  private aboveLowWater = false;
  private tickScheduled = false;
  /** The remote has been told this end closed (after the outbound queue flushed). */
  private endSentToPeer = false;
  private sinkNotified = false;

  constructor(
    readonly sink: PipeSink,
    readonly settings: typeof DEFAULTS,
  ) {}

  send(frame: Uint8Array): void {
    if (!this.open) throw new Error('the memory pipe is closed');
    if (!(frame instanceof Uint8Array)) throw new TypeError('a frame must be a Uint8Array');
    if (frame.byteLength > this.settings.maxFrameSize) {
      throw new RangeError(`a frame of ${frame.byteLength} bytes exceeds the pipe's ${this.settings.maxFrameSize}`);
    }
    // Copy, as a network would: the receiver owns its buffer and the sender may reuse its own.
    this.outbound.push(frame.slice());
    this.outboundBytes += frame.byteLength;
    if (this.outboundBytes > this.settings.lowWaterMark) this.aboveLowWater = true;
    this.scheduleTick();
  }

  bufferedAmount(): number {
    return this.outboundBytes;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.notifySink(undefined);
    this.scheduleTick(); // flushes what is queued, then tells the remote
  }

  destroy(error: Error): void {
    for (const end of [this, this.peer]) {
      end.open = false;
      end.endSentToPeer = true;
      end.outbound.length = 0;
      end.outboundBytes = 0;
      end.notifySink(error);
    }
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.peer.scheduleTick();
  }

  /** The remote closed and everything it sent has been delivered. */
  private remoteEnded(): void {
    if (!this.open) return;
    this.open = false;
    this.endSentToPeer = true; // nothing more can reach the remote: it is gone
    this.outbound.length = 0;
    this.outboundBytes = 0;
    this.notifySink(undefined);
  }

  private notifySink(error: Error | undefined): void {
    if (this.sinkNotified) return;
    this.sinkNotified = true;
    setImmediate(() => this.sink.closed(error));
  }

  private scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => this.tick());
  }

  /** Deliver part of the outbound queue to the remote. */
  private tick(): void {
    this.tickScheduled = false;
    const peer = this.peer;
    if (peer.sinkNotified) {
      // The remote is gone: nothing can be delivered.
      this.outbound.length = 0;
      this.outboundBytes = 0;
      return;
    }
    if (peer.paused) return; // resume() reschedules
    let moved = 0;
    while (this.outbound.length > 0 && moved < this.settings.bytesPerTick && !peer.sinkNotified && !peer.paused) {
      const frame = this.outbound.shift()!;
      this.outboundBytes -= frame.byteLength;
      moved += frame.byteLength;
      peer.sink.frame(frame);
    }
    if (this.open && this.aboveLowWater && this.outboundBytes <= this.settings.lowWaterMark) {
      this.aboveLowWater = false;
      this.sink.drain();
    }
    if (this.outbound.length > 0) return this.scheduleTick();
    if (!this.open && !this.endSentToPeer && !peer.paused) {
      this.endSentToPeer = true;
      peer.remoteEnded();
    }
  }
}

function pipeOf(end: MemoryEnd, options: MemoryPipeOptions): MemoryPipe {
  const pipe: MemoryPipe = {
    maxFrameSize: end.settings.maxFrameSize,
    send: (frame) => end.send(frame),
    close: () => end.close(),
    pauseReading: () => end.pause(),
    resumeReading: () => end.resume(),
    destroy: (error = new Error('the memory pipe was destroyed')) => end.destroy(error),
    get isClosed() {
      return !end.open;
    },
  };
  if (options.withoutBufferedAmount) return pipe;
  return Object.assign(pipe, { lowWaterMark: end.settings.lowWaterMark, bufferedAmount: () => end.bufferedAmount() });
}

/** Two connected pipes: frames sent on `a` reach `sinkB`, and the other way round. */
export function createMemoryPipePair(sinkA: PipeSink, sinkB: PipeSink, options: MemoryPipeOptions = {}): { a: MemoryPipe; b: MemoryPipe } {
  const settings = { ...DEFAULTS, ...withoutUndefined(options) };
  const a = new MemoryEnd(sinkA, settings);
  const b = new MemoryEnd(sinkB, settings);
  a.peer = b;
  b.peer = a;
  return { a: pipeOf(a, options), b: pipeOf(b, options) };
}

// ---- the memory Transport: driven by signals, like WebRTC ----------------------------------

/** Dials waiting for their responder, by rendezvous id. Module-level so any two dials in the
 * process can meet, however their signals travel. */
const rendezvous = new Map<string, { sink: PipeSink; pipe?: MemoryPipe }>();

const MemorySignal = z.discriminatedUnion('type', [
  z.object({ type: z.literal('memory-offer'), rendezvous: z.uuid() }),
  z.object({ type: z.literal('memory-candidate'), rendezvous: z.uuid() }),
  z.object({ type: z.literal('memory-answer'), rendezvous: z.uuid() }),
]);

/** How many dials are still waiting for their remote (tests check nothing leaks). */
export function pendingMemoryRendezvous(): number {
  return rendezvous.size;
}

/**
 * A `Transport` named 'memory'. The initiator registers a rendezvous and signals its id (plus a
 * candidate when trickling, so signaling code sees more than one signal); the responder
 * creates the pipe pair and answers; the answer completes the initiator.
 */
export function createMemoryTransport(options: MemoryPipeOptions = {}): Transport {
  return {
    name: 'memory',
    description: 'In-process reference transport for tests and examples',
    dial: (dial) => memoryDial(dial, options),
  };
}

export const memoryTransport: Transport = createMemoryTransport();

function memoryDial(options: DialOptions, pipeOptions: MemoryPipeOptions): Dial {
  let resolvePipe!: (pipe: MemoryPipe) => void;
  let rejectPipe!: (error: Error) => void;
  const pipe = new Promise<MemoryPipe>((resolve, reject) => {
    resolvePipe = resolve;
    rejectPipe = reject;
  });
  pipe.catch(() => {}); // a dial nobody awaits must not be an unhandled rejection
  let settled: MemoryPipe | undefined;
  let done = false;
  let id: string | undefined;

  const finish = (result: MemoryPipe | Error) => {
    if (done) return;
    done = true;
    if (id && options.initiator) rendezvous.delete(id);
    if (result instanceof Error) return rejectPipe(result);
    settled = result;
    pipeOptions.onPipe?.(result);
    options.stage('channel');
    resolvePipe(result);
  };
  const onAbort = () => {
    if (settled) settled.close();
    else finish(new TransportError('signaling', 'the memory dial was aborted'));
  };
  if (options.abort.aborted) onAbort();
  else options.abort.addEventListener('abort', onAbort, { once: true });

  options.stage('signaling');
  if (options.initiator && !done) {
    id = globalThis.crypto.randomUUID();
    rendezvous.set(id, { sink: options.sink });
    options.sendSignal({ type: 'memory-offer', rendezvous: id });
    if (options.trickle !== false) options.sendSignal({ type: 'memory-candidate', rendezvous: id });
  }

  return {
    pipe,
    signal(raw) {
      const parsed = MemorySignal.safeParse(raw);
      if (!parsed.success) throw new TransportError('signaling', 'not a memory transport signal');
      const signal = parsed.data;
      if (done) return;
      if (options.initiator) {
        if (signal.type !== 'memory-answer' || signal.rendezvous !== id) {
          throw new TransportError('signaling', `the initiator cannot use a ${signal.type} signal`);
        }
        const entry = rendezvous.get(id)!;
        return finish(entry.pipe!);
      }
      if (signal.type === 'memory-candidate') return; // nothing to do: the offer says it all
      if (signal.type !== 'memory-offer') throw new TransportError('signaling', 'a responder expects an offer');
      const entry = rendezvous.get(signal.rendezvous);
      if (!entry || entry.pipe) throw new TransportError('signaling', 'no memory dial is waiting for this offer');
      const pair = createMemoryPipePair(entry.sink, options.sink, pipeOptions);
      entry.pipe = pair.a;
      options.sendSignal({ type: 'memory-answer', rendezvous: signal.rendezvous });
      finish(pair.b);
    },
  };
}

// ---- wiring two dials together -------------------------------------------------------------

export interface TransportPair {
  a: Pipe;
  b: Pipe;
  /** Signals each side emitted (initiator `a`, responder `b`) until both pipes opened. */
  signals: { a: number; b: number };
}

/**
 * Dial both sides of a raw-signal transport in this process and relay their signals to each
 * other (through JSON, on a later tick, as a real signaling channel would). Rejects if either
 * dial fails or refuses a signal, aborting the other.
 */
export async function pairFromTransport(
  transport: Transport,
  options: { sinkA: PipeSink; sinkB: PipeSink; trickle?: boolean; abort?: AbortSignal },
): Promise<TransportPair> {
  const controller = new AbortController();
  const stopOnOuterAbort = () => controller.abort();
  options.abort?.addEventListener('abort', stopOnOuterAbort, { once: true });
  const signals = { a: 0, b: 0 };
  let failRelay!: (error: unknown) => void;
  const relayFailed = new Promise<never>((_, reject) => (failRelay = reject));
  relayFailed.catch(() => {});

  const dials: { a?: Dial; b?: Dial } = {};
  const relay = (to: 'a' | 'b', signal: unknown) => {
    const copy = JSON.parse(JSON.stringify(signal)) as unknown; // signals must survive JSON
    // Later, as over a network; by then both dials exist even if one signalled inside dial().
    setImmediate(() => {
      if (controller.signal.aborted) return;
      try {
        dials[to]?.signal(copy);
      } catch (error) {
        failRelay(error);
      }
    });
  };
  const dialSide = (side: 'a' | 'b'): Dial => {
    const other = side === 'a' ? 'b' : 'a';
    return transport.dial({
      initiator: side === 'a',
      sink: side === 'a' ? options.sinkA : options.sinkB,
      sendSignal: (signal) => {
        signals[side]++;
        relay(other, signal);
      },
      stage: () => {},
      abort: controller.signal,
      trickle: options.trickle,
    });
  };
  try {
    dials.a = dialSide('a');
    dials.b = dialSide('b');
    const [a, b] = await Promise.race([Promise.all([dials.a.pipe, dials.b.pipe]), relayFailed]);
    return { a, b, signals: { ...signals } };
  } catch (error) {
    controller.abort();
    throw error;
  } finally {
    options.abort?.removeEventListener('abort', stopOnOuterAbort);
  }
}

/** A plugin that registers `transport` (the in-memory one by default), for hosts in tests. */
export function memoryTransportPlugin(transport: Transport = memoryTransport): PluginInstance {
  return definePlugin({
    name: 'memory-transport',
    version: '1.0.0',
    api: '^2.0.0',
    description: 'The in-memory reference transport, for tests',
    setup: (ctx) => ctx.registerTransport(transport),
  })();
}
