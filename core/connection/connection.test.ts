import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionStage, ConnectionState } from '../contracts/stages';
import { TransportError } from '../errors';
import { createMemoryPipePair } from '../testing/memory-transport';
import { RecordingSink } from '../testing/helpers';
import { createConnection } from './connection';
import { ConnectionClosedError, RemoteRequestError, RequestTimeoutError } from './errors';
import { LOCAL, REMOTE, STRANGER, SinkTap, openPair, rawRemote, watchBuffered } from './testing';
import type { Message } from './types';
import { INITIAL_WINDOW } from './send-window';
import {
  Encoding,
  FrameKind,
  PROTOCOL_VERSION,
  channelNameBytes,
  encodeAck,
  encodeBody,
  encodeHello,
  interleaveLimits,
  messageFrames,
  type Frame,
} from './wire';

const text = new TextEncoder();
const dataFrame = (channel: string, message: Message) =>
  [...messageFrames({ type: 'data', channel: channelNameBytes(channel), id: 0, ...encodeBody(message) }, 1 << 16)][0]!;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Resolves with everything a channel receives once `count` messages arrived. */
function receive(connection: ReturnType<typeof createConnection>, channel: string, count: number): Promise<Message[]> {
  const got: Message[] = [];
  return new Promise((resolve) => {
    connection.channel(channel).onMessage((m) => {
      got.push(m);
      if (got.length === count) resolve(got);
    });
  });
}

describe('handshake', () => {
  it('opens both sides, reporting stages and states, and learns the remote', async () => {
    const a = createConnection({ local: LOCAL, expectedRemote: REMOTE.id });
    const b = createConnection({ local: REMOTE });
    const stages: ConnectionStage[] = [];
    const states: ConnectionState[] = [];
    a.on('stage', (s) => stages.push(s));
    a.on('state', (s) => states.push(s));
    expect([a.state, a.stage, a.remote]).toEqual(['connecting', 'signaling', undefined]);
    a.setStage('ice');
    a.setStage('channel');
    const pipes = createMemoryPipePair(a.sink, b.sink);
    a.attach(pipes.a);
    b.attach(pipes.b);
    await Promise.all([a.opened, b.opened]);
    expect(stages).toEqual(['ice', 'channel', 'handshake', 'open']);
    expect(states).toEqual(['open']);
    expect(a.remote).toEqual(REMOTE);
    expect(b.remote).toEqual(LOCAL);
    a.setStage('ice'); // ignored once the pipe is attached
    expect(a.stage).toBe('open');
    await a.close();
  });

  it('keeps frames that reach the sink before the pipe is attached', async () => {
    const a = createConnection({ local: LOCAL });
    const b = createConnection({ local: REMOTE });
    const tapA = new SinkTap(a.sink);
    const pipes = createMemoryPipePair(tapA, b.sink);
    const helloArrived = tapA.next();
    b.attach(pipes.b);
    await helloArrived; // b's hello is in a's hands before a has its pipe
    a.attach(pipes.a);
    await Promise.all([a.opened, b.opened]);
    expect(a.remote).toEqual(REMOTE);
    await b.close();
  });

  it('fails both sides when the remote is not the expected peer', async () => {
    const a = createConnection({ local: LOCAL, expectedRemote: STRANGER.id });
    const b = createConnection({ local: REMOTE });
    const pipes = createMemoryPipePair(a.sink, b.sink);
    a.attach(pipes.a);
    b.attach(pipes.b);
    await expect(a.opened).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(a.state).toBe('failed');
    expect(a.closeReason).toEqual({
      by: 'error',
      code: 'handshake-failed',
      stage: 'handshake',
      message: `expected peer ${STRANGER.id}, but the remote is ${REMOTE.id}`,
    });
    // b had no expectation and a valid hello, so it may have opened before a's refusal arrived.
    expect(await b.closed).toMatchObject({ by: 'remote', code: 'handshake-failed' });
    expect(b.state).toBe('closed');
  });

  it('fails on a protocol version it does not speak', async () => {
    const r = rawRemote();
    r.pipe.send(text.encode('\x01' + JSON.stringify({ protocol: 1, peer: REMOTE })));
    const reason = await r.connection.closed;
    expect(reason).toMatchObject({ by: 'error', code: 'handshake-failed', stage: 'handshake' });
    expect(reason.message).toMatch(/protocol 1.*speaks 2/);
  });

  it('refuses a pipe whose frames are too small for core', async () => {
    const a = createConnection({ local: LOCAL });
    const { a: pipe } = createMemoryPipePair(a.sink, new RecordingSink(), { maxFrameSize: 100 });
    a.attach(pipe);
    expect(await a.closed).toMatchObject({ by: 'error', code: 'transport-failed', stage: 'handshake' });
    expect(pipe.isClosed).toBe(true);
  });

  it('refuses a second pipe and bad options', () => {
    const a = createConnection({ local: LOCAL });
    const pipes = createMemoryPipePair(a.sink, new RecordingSink());
    a.attach(pipes.a);
    expect(() => a.attach(pipes.b)).toThrow(/already has a pipe/);
    pipes.a.destroy();
    expect(() => createConnection({ local: { id: 'nope', name: 'x' } })).toThrow();
    expect(() => createConnection({ local: LOCAL, requestTimeoutMs: -1 })).toThrow(/requestTimeoutMs must be a positive number/);
  });
});

describe('messages and channels', () => {
  it('waits for open before sending what was sent while connecting', async () => {
    const a = createConnection({ local: LOCAL });
    const b = createConnection({ local: REMOTE });
    const sent = a.channel('early').send('first');
    const got = receive(b, 'early', 1);
    const pipes = createMemoryPipePair(a.sink, b.sink);
    a.attach(pipes.a);
    b.attach(pipes.b);
    await sent;
    expect(await got).toEqual(['first']);
    await a.close();
  });

  it('buffers messages until the first subscriber, then delivers them in order', async () => {
    const { a, b } = await openPair();
    const barrier = receive(b, 'barrier', 1);
    for (const n of [1, 2, 3]) void a.channel('late').send(n);
    void a.channel('barrier').send('go');
    await barrier; // the three are now buffered at b
    const got: Message[] = [];
    let subscribed = false;
    const delivered = new Promise<void>((resolve) =>
      b.channel('late').onMessage((m) => {
        expect(subscribed, 'buffered messages are delivered after onMessage returns').toBe(true);
        got.push(m);
        if (got.length === 4) resolve();
      }),
    );
    subscribed = true;
    void a.channel('late').send(4);
    await delivered;
    expect(got).toEqual([1, 2, 3, 4]);
    await a.close();
  });

  it('bounds the buffer and counts what it drops', async () => {
    const { a, b } = await openPair({ b: { maxBufferedMessages: 5 } });
    const barrier = receive(b, 'barrier', 1);
    for (let n = 0; n < 8; n++) void a.channel('flood').send(n);
    void a.channel('barrier').send('go');
    await barrier;
    expect(b.stats().droppedMessages).toBe(3);
    const got = await receive(b, 'flood', 5);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    await a.close();
  });

  it('drops messages for a channel whose subscribers have all left', async () => {
    const { a, b } = await openPair();
    const first = new Promise<void>((resolve) => {
      const off = b.channel('c').onMessage(() => {
        off();
        resolve();
      });
    });
    void a.channel('c').send(1);
    await first;
    const barrier = receive(b, 'barrier', 1);
    void a.channel('c').send(2);
    void a.channel('barrier').send('go');
    await barrier;
    expect(b.stats().droppedMessages).toBe(1);
    await a.close();
  });

  it('delivers to every subscriber, and one that throws disturbs nobody', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { a, b } = await openPair();
    b.channel('c').onMessage(() => {
      throw new Error('listener bug');
    });
    const got = receive(b, 'c', 2);
    void a.channel('c').send('x');
    void a.channel('c').send('y');
    expect(await got).toEqual(['x', 'y']);
    expect(errors).toHaveBeenCalledTimes(2);
    expect(b.state).toBe('open');
    await a.close();
  });

  it('refuses what it cannot send', async () => {
    const { a } = await openPair();
    await expect(a.channel('c').send(undefined as never)).rejects.toBeInstanceOf(TypeError);
    await expect(a.channel('c').request(Symbol() as never)).rejects.toBeInstanceOf(TypeError);
    expect(() => a.channel('')).toThrow(RangeError);
    expect(a.channel('same')).toBe(a.channel('same'));
    await a.close();
    await expect(a.channel('c').send('late')).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(a.channel('c').request('late')).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('counts bytes and messages both ways', async () => {
    const { a, b } = await openPair();
    const got = receive(b, 'c', 2);
    await a.channel('c').send('one');
    await a.channel('c').send(new Uint8Array(100));
    await got;
    expect(a.stats()).toMatchObject({ messagesSent: 2, droppedMessages: 0 });
    expect(b.stats().messagesReceived).toBe(2);
    expect(a.stats().bytesSent).toBeGreaterThan(100);
    expect(b.stats().bytesReceived).toBe(a.stats().bytesSent);
    await a.close();
  });

  it('reports the path its transport reports, each time it changes, and ignores a malformed one', async () => {
    const remote = rawRemote();
    await remote.handshake();
    const seen: unknown[] = [];
    remote.connection.on('path', (path) => seen.push(path));
    expect(remote.connection.stats().path).toBeUndefined();
    remote.connection.sink.path?.({ kind: 'direct', local: 'srflx', remote: 'host' });
    remote.connection.sink.path?.({ kind: 'relayed', relayProtocol: 'tcp', local: 'relay', remote: 'srflx' });
    remote.connection.sink.path?.({ kind: 'teleported' } as never);
    expect(seen).toEqual([
      { kind: 'direct', local: 'srflx', remote: 'host' },
      { kind: 'relayed', relayProtocol: 'tcp', local: 'relay', remote: 'srflx' },
    ]);
    expect(remote.connection.stats().path).toEqual({ kind: 'relayed', relayProtocol: 'tcp', local: 'relay', remote: 'srflx' });
  });
});

describe('requests', () => {
  it('answers requests, sync and async, and carries handler errors back', async () => {
    const { a, b } = await openPair();
    b.channel('rpc').onRequest((m) => {
      if (m === 'throw') throw new Error('sync failure');
      if (m === 'reject') return Promise.reject(new Error('async failure'));
      if (m === 'undefined') return undefined as never;
      return Promise.resolve({ echo: m as string });
    });
    const rpc = a.channel('rpc');
    expect(await rpc.request('hi')).toEqual({ echo: 'hi' });
    await expect(rpc.request('throw')).rejects.toEqual(new RemoteRequestError('sync failure'));
    await expect(rpc.request('reject')).rejects.toThrow('async failure');
    await expect(rpc.request('undefined')).rejects.toThrow(/not a message/);
    expect(() => b.channel('rpc').onRequest(() => 1)).toThrow(/already has a request handler/);
    await a.close();
  });

  it('buffers requests until a handler exists, and refuses them after it left', async () => {
    const { a, b } = await openPair();
    const barrier = receive(b, 'barrier', 1);
    const early = a.channel('rpc').request(20);
    void a.channel('barrier').send('go');
    await barrier; // the request waits at b
    const off = b.channel('rpc').onRequest((m) => (m as number) + 1);
    expect(await early).toBe(21);
    off();
    await expect(a.channel('rpc').request(1)).rejects.toThrow('channel "rpc" has no request handler');
    await a.close();
  });

  it('times out a request nobody answers', async () => {
    const { a, b } = await openPair();
    b.channel('slow').onRequest(() => new Promise<Message>(() => {}));
    const error = await a
      .channel('slow')
      .request('x', { timeoutMs: 5 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as RequestTimeoutError).message).toMatch(/"slow" got no response within 5 ms/);
    await a.close();
  });

  it('uses the default timeout from the options', async () => {
    const { a, b } = await openPair({ a: { requestTimeoutMs: 5 } });
    b.channel('slow').onRequest(() => new Promise<Message>(() => {}));
    await expect(a.channel('slow').request('x')).rejects.toBeInstanceOf(RequestTimeoutError);
    await a.close();
  });

  it('rejects pending requests when the connection closes, on either side', async () => {
    const { a, b } = await openPair();
    b.channel('slow').onRequest(() => new Promise<Message>(() => {}));
    const pending = a
      .channel('slow')
      .request('x')
      .catch((e: unknown) => e);
    await a.channel('slow').send('flush'); // the request is on the wire
    await b.close('going away');
    const error = await pending;
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as ConnectionClosedError).reason).toEqual({ by: 'remote', code: 'closed', message: 'going away' });
  });

  it('ignores answers to requests it never made', async () => {
    const r = rawRemote();
    await r.handshake();
    const response = [...messageFrames({ type: 'response', channel: channelNameBytes('c'), id: 77, ...encodeBody('stray') }, 1024)][0]!;
    await r.deliver(response);
    expect(r.connection.state).toBe('open');
    r.pipe.destroy();
  });
});

describe('fair channels', () => {
  type MessageFrame = Extract<Frame, { kind: 'start' | 'chunk' }>;
  const messageFrame = (f: Frame): f is MessageFrame => f.kind === 'start' || f.kind === 'chunk';
  /** What the remote got so far: every message frame, and the tagged ones. */
  const got = (r: ReturnType<typeof rawRemote>) => {
    const frames = r.decoded().filter(messageFrame);
    return { frames, tagged: frames.filter((f) => f.tag !== undefined) };
  };
  const isLive = (f: MessageFrame) => f.kind === 'start' && f.channel === 'live';

  it('sends an older peer (no interleave in its hello) whole messages in the order they were sent, untagged', async () => {
    const r = rawRemote();
    await r.handshake();
    const large = r.connection.channel('bulk').send(new Uint8Array(200_000));
    const small = r.connection.channel('live').send('hi');
    await Promise.all([large, small]);
    await r.received.until(() => got(r).frames.some(isLive), 'the small message');
    const { frames, tagged } = got(r);
    expect(tagged).toEqual([]);
    expect(frames.findIndex(isLive)).toBe(frames.length - 1);
    expect(frames.length).toBeGreaterThan(2);
    r.pipe.destroy();
  });

  it('keeps at most a window of a large message unacknowledged, lets a small one pass meanwhile, and goes on as acks come', async () => {
    const r = rawRemote();
    r.pipe.send(encodeHello({ protocol: PROTOCOL_VERSION, peer: REMOTE, interleave: interleaveLimits(1 << 20) }));
    await r.connection.opened;
    const bytes = 1024 * 1024;
    let largeSent = false;
    const large = r.connection
      .channel('bulk')
      .send(new Uint8Array(bytes).fill(3))
      .then(() => (largeSent = true));
    const taggedBytes = () => got(r).tagged.reduce((sum, f) => sum + f.part.byteLength, 0);
    await r.received.until(() => taggedBytes() >= INITIAL_WINDOW - 16 * 1024, 'a window of the large message');
    await r.connection.channel('live').send('hi');
    await r.received.until(() => got(r).frames.some(isLive), 'the small message');
    // The window is full and nothing acknowledged it: the small message passed, the large waits.
    expect(taggedBytes()).toBeLessThanOrEqual(INITIAL_WINDOW);
    expect(got(r).frames.at(-1)).toMatchObject({ kind: 'start', channel: 'live' });
    expect(largeSent).toBe(false);
    let acked = 0;
    for (let round = 0; round < 1000 && !largeSent; round++) {
      const tagged = got(r).tagged.length;
      if (tagged > acked) r.pipe.send(encodeAck(tagged - acked));
      acked = tagged;
      await Promise.race([large, r.received.until(() => got(r).tagged.length > acked, 'more of the large message')]);
    }
    await large;
    await r.received.until(() => taggedBytes() === bytes, 'the whole large message');
    r.pipe.destroy();
  });

  it('closes with a protocol error on an ack of frames it never sent', async () => {
    const r = rawRemote();
    r.pipe.send(encodeHello({ protocol: PROTOCOL_VERSION, peer: REMOTE, interleave: interleaveLimits(1 << 20) }));
    await r.connection.opened;
    await r.deliver(encodeAck(1));
    expect(await r.connection.closed).toMatchObject({ by: 'error', code: 'protocol-error', message: 'protocol error: an ack of 1 frames, with 0 in flight' });
  });

  it('delivers a small message sent after a large one on another channel first, each channel in order', async () => {
    const { a, b } = await openPair({ pipe: { maxFrameSize: 16 * 1024 } });
    const events: string[] = [];
    const all = new Promise<void>((resolve) => {
      const note = (what: string) => (events.push(what), events.length === 4 && resolve());
      b.channel('bulk').onMessage((m) => note(m instanceof Uint8Array ? `bulk ${m.byteLength}` : `bulk ${JSON.stringify(m)}`));
      b.channel('live').onMessage((m) => note(`live ${JSON.stringify(m)}`));
    });
    const sends = [
      a.channel('bulk').send(new Uint8Array(2 * 1024 * 1024)),
      a.channel('bulk').send('after'),
      a.channel('live').send(1),
      a.channel('live').send(2),
    ];
    await Promise.all([...sends, all]);
    expect(events).toEqual(['live 1', 'live 2', `bulk ${2 * 1024 * 1024}`, 'bulk "after"']);
    await a.close();
  });
});

describe('backpressure', () => {
  it('holds sends while the pipe is over the high-water mark and releases them on drain', async () => {
    const a = createConnection({ local: LOCAL, highWaterMark: 32 * 1024 });
    const b = createConnection({ local: REMOTE });
    const pipes = createMemoryPipePair(a.sink, b.sink, { lowWaterMark: 16 * 1024 });
    const watched = watchBuffered(pipes.a, 32 * 1024);
    a.attach(watched.pipe);
    b.attach(pipes.b);
    await Promise.all([a.opened, b.opened]);
    pipes.b.pauseReading();
    let done = false;
    const big = a
      .channel('bulk')
      .send(new Uint8Array(1024 * 1024))
      .then(() => (done = true));
    await watched.overLimit;
    expect(done).toBe(false);
    expect(pipes.a.bufferedAmount!()).toBeLessThanOrEqual(32 * 1024 + 16 * 1024);
    const got = receive(b, 'bulk', 1);
    pipes.b.resumeReading();
    await big;
    expect(((await got)[0] as Uint8Array).byteLength).toBe(1024 * 1024);
    await a.close();
  });

  it('rejects sends waiting on a drain when the pipe fails', async () => {
    const r = rawRemote({ highWaterMark: 32 * 1024 });
    await r.handshake();
    r.pipe.pauseReading();
    const sent = r.connection.channel('bulk').send(new Uint8Array(1024 * 1024));
    r.pipe.destroy(new Error('cable cut'));
    await expect(sent).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(r.connection.closeReason).toMatchObject({ by: 'error', code: 'pipe-closed', message: 'the pipe failed: cable cut' });
  });
});

describe('closing', () => {
  it('tells the remote why, and each side knows who closed', async () => {
    const { a, b } = await openPair();
    const statesA: ConnectionState[] = [];
    const closes: unknown[] = [];
    a.on('state', (s) => statesA.push(s));
    a.on('close', (r) => closes.push(r));
    await a.close();
    expect(a.closeReason).toEqual({ by: 'local', code: 'closed', message: 'closed by the local peer' });
    expect(await b.closed).toEqual({ by: 'remote', code: 'closed', message: 'closed by the local peer' });
    expect(statesA).toEqual(['closing', 'closed']);
    expect(closes).toEqual([a.closeReason]);
    await a.close(); // idempotent
    expect(closes).toHaveLength(1);
  });

  it('closes itself when the remote does not close the pipe in time', async () => {
    const r = rawRemote({ closeTimeoutMs: 5 });
    await r.handshake();
    await r.connection.close('bye');
    expect(r.connection.closeReason).toEqual({ by: 'local', code: 'closed', message: 'bye' });
    await r.received.untilClosed();
    expect(r.decoded().at(-1)).toEqual({ kind: 'close', close: { code: 'closed', message: 'bye' } });
  });

  it('handles both sides closing at once', async () => {
    const { a, b } = await openPair();
    await Promise.all([a.close('from a'), b.close('from b')]);
    expect(a.closeReason).toMatchObject({ by: 'local', message: 'from a' });
    expect(b.closeReason).toMatchObject({ by: 'local', message: 'from b' });
  });

  it('closes before a pipe exists, and closes a pipe that arrives too late', async () => {
    const a = createConnection({ local: LOCAL });
    await a.close('never mind');
    expect([a.state, a.closeReason?.by]).toEqual(['closed', 'local']);
    await expect(a.opened).rejects.toBeInstanceOf(ConnectionClosedError);
    const pipes = createMemoryPipePair(a.sink, new RecordingSink());
    a.attach(pipes.a);
    expect(pipes.a.isClosed).toBe(true);
  });

  it('closes during the handshake: the remote learns it before it even has its pipe', async () => {
    // In clear: inside a secure session nothing can be said before its keys exist.
    const a = createConnection({ local: LOCAL, closeTimeoutMs: 5, encryptUnboundPipes: false });
    const b = createConnection({ local: REMOTE, encryptUnboundPipes: false });
    const pipes = createMemoryPipePair(a.sink, b.sink);
    a.attach(pipes.a);
    await a.close('changed my mind');
    expect(await b.closed).toEqual({ by: 'remote', code: 'closed', message: 'changed my mind' });
    b.attach(pipes.b);
    expect(pipes.b.isClosed).toBe(true);
  });

  it('fails before a pipe with the stage and message of the failure', async () => {
    const a = createConnection({ local: LOCAL });
    a.fail('ice', new TransportError('ice', 'no route to peer'));
    expect(a.state).toBe('failed');
    expect(a.stage).toBe('ice');
    expect(a.closeReason).toEqual({ by: 'error', code: 'transport-failed', stage: 'ice', message: 'no route to peer' });
    await expect(a.opened).rejects.toThrow('no route to peer');
    const aborted = createConnection({ local: LOCAL });
    aborted.fail('signaling', Object.assign(new Error('user cancelled'), { name: 'AbortError' }));
    expect(aborted.closeReason).toMatchObject({ code: 'aborted', stage: 'signaling' });
    a.fail('open', new Error('ignored once ended'));
    expect(a.closeReason?.stage).toBe('ice');
  });

  it('reports a pipe that ends without a close frame', async () => {
    const r = rawRemote();
    await r.handshake();
    r.pipe.close();
    expect(await r.connection.closed).toEqual({
      by: 'error',
      code: 'pipe-closed',
      stage: 'open',
      message: 'the pipe closed without a close frame',
    });
    expect(r.connection.state).toBe('failed');
  });

  it('reports a pipe that refuses a frame', async () => {
    const a = createConnection({ local: LOCAL });
    a.attach({
      maxFrameSize: 4096,
      send: () => {
        throw new Error('socket gone');
      },
      close: () => {},
    });
    expect(await a.closed).toMatchObject({ by: 'error', code: 'pipe-closed', message: 'the pipe refused a frame: socket gone' });
  });
});

describe('untrusted input', () => {
  const attacks: [string, (r: ReturnType<typeof rawRemote>) => Uint8Array[], RegExp, boolean][] = [
    ['an unknown frame kind', () => [Uint8Array.of(0x7f)], /unknown frame kind/, true],
    ['a data frame before the hello', () => [dataFrame('c', 'hi')], /data frame arrived before the hello/, false],
    ['a second hello', () => [encodeHello({ protocol: 1, peer: REMOTE })], /second hello/, true],
    ['a malformed hello', () => [text.encode('\x01{"protocol":1}')], /hello frame is invalid at peer/, false],
    ['bad JSON in a message', () => [jsonStart('{"unterminated')], /does not parse/, true],
    ['JSON nested 400 levels deep', () => [jsonStart('['.repeat(400) + ']'.repeat(400))], /nests deeper than 128 levels/, true],
    ['a message over maxMessageSize', () => [start(2000)], /2000 bytes exceeds the 1000 byte limit/, true],
    ['a chunk with no message', () => [Uint8Array.of(FrameKind.chunk, 1)], /no message in progress/, true],
    ['a message longer than declared', () => [start(2, Uint8Array.of(1)), Uint8Array.of(FrameKind.chunk, 1, 2)], /longer than the 2 bytes/, true],
    ['a short pong', () => [Uint8Array.of(FrameKind.pong, 0)], /pong frame must hold 4 bytes/, true],
    ['an empty frame', () => [new Uint8Array(0)], /empty frame/, true],
  ];

  for (const [what, frames, message, afterHello] of attacks) {
    it(`closes with protocol-error on ${what}`, async () => {
      const r = rawRemote({ maxMessageSize: 1000 });
      if (afterHello) await r.handshake();
      for (const frame of frames(r)) r.pipe.send(frame);
      const reason = await r.connection.closed;
      expect(reason).toMatchObject({ by: 'error', code: 'protocol-error' });
      expect(reason.message).toMatch(message);
      expect(reason.message).toMatch(/^protocol error: /);
      expect(r.connection.state).toBe('failed');
      await r.received.untilClosed();
      const told = r.decoded().find((f): f is Extract<Frame, { kind: 'close' }> => f.kind === 'close');
      expect(told?.close.code, 'the remote is told why (best effort)').toBe('protocol-error');
    });
  }

  it('ignores an unsolicited pong and answers pings', async () => {
    const r = rawRemote();
    await r.handshake();
    await r.deliver(Uint8Array.of(FrameKind.pong, 0, 0, 0, 9));
    await r.deliver(Uint8Array.of(FrameKind.ping, 0, 0, 0, 5));
    await r.received.until(() => r.decoded().some((f) => f.kind === 'pong'), 'pong');
    expect(r.decoded().find((f) => f.kind === 'pong')).toEqual({ kind: 'pong', nonce: 5 });
    expect(r.connection.stats().rttMs).toBeUndefined();
    r.pipe.destroy();
  });

  it('leaves no timers behind after a protocol error', async () => {
    const before = process.getActiveResourcesInfo().filter((k) => k === 'Timeout').length;
    const r = rawRemote();
    await r.handshake();
    r.pipe.send(Uint8Array.of(0x7f));
    await r.connection.closed;
    expect(process.getActiveResourcesInfo().filter((k) => k === 'Timeout').length).toBeLessThanOrEqual(before);
  });
});

function start(total: number, body = new Uint8Array(0)): Uint8Array {
  const frame = [...messageFrames({ type: 'data', channel: channelNameBytes('c'), id: 0, encoding: Encoding.bytes, body: new Uint8Array(total) }, 1 << 20)][0]!;
  // Keep the header (it declares `total`), replace the body with what the test wants.
  const header = frame.subarray(0, 12);
  return Uint8Array.from([...header, ...body]);
}

function jsonStart(json: string): Uint8Array {
  const body = text.encode(json);
  return [...messageFrames({ type: 'data', channel: channelNameBytes('c'), id: 0, encoding: Encoding.json, body }, 1 << 16)][0]!;
}
