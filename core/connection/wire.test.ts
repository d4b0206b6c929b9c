import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors';
import { MAX_JSON_DEPTH } from '../util/json-shape';
import { Reassembler } from './reassembly';
import {
  Encoding,
  FrameKind,
  MAX_CLOSE_MESSAGE_CHARS,
  channelNameBytes,
  decodeBody,
  decodeFrame,
  encodeBody,
  encodeAck,
  encodeClose,
  encodeHello,
  encodePing,
  encodePong,
  messageFrames,
  type Frame,
  type MessageType,
} from './wire';
import { LOCAL } from './testing';

const text = new TextEncoder();

function startFrame(fields: { kind?: number; encoding?: number; total: number; id?: number; channel?: string; body?: Uint8Array }) {
  const channel = text.encode(fields.channel ?? 'c');
  const body = fields.body ?? new Uint8Array(0);
  const frame = new Uint8Array(11 + channel.byteLength + body.byteLength);
  const view = new DataView(frame.buffer);
  frame[0] = fields.kind ?? FrameKind.data;
  frame[1] = fields.encoding ?? Encoding.bytes;
  view.setUint32(2, fields.total);
  view.setUint32(6, fields.id ?? 0);
  frame[10] = channel.byteLength;
  frame.set(channel, 11);
  frame.set(body, 11 + channel.byteLength);
  return frame;
}

function withKind(kind: number, body: string | Uint8Array) {
  const bytes = typeof body === 'string' ? text.encode(body) : body;
  return Uint8Array.of(kind, ...bytes);
}

/** Split, decode and reassemble: what the two ends of a connection do between them. */
function roundTrip(type: MessageType, channel: string, id: number, message: Parameters<typeof encodeBody>[0], frameSize: number) {
  const body = encodeBody(message);
  const frames = [...messageFrames({ type, channel: channelNameBytes(channel), id, ...body }, frameSize)];
  const reassembler = new Reassembler(Number.MAX_SAFE_INTEGER);
  let result;
  for (const [i, frame] of frames.entries()) {
    expect(frame.byteLength).toBeLessThanOrEqual(frameSize);
    const decoded = decodeFrame(frame) as Extract<Frame, { kind: 'start' | 'chunk' }>;
    expect(decoded.kind).toBe(i === 0 ? 'start' : 'chunk');
    result = reassembler.push(decoded);
    expect(result === undefined).toBe(i < frames.length - 1);
  }
  return { frames, message: result!, value: decodeBody(result!.encoding, result!.body) };
}

describe('wire: control frames', () => {
  it('round-trips hello, ping, pong and close', () => {
    expect(decodeFrame(encodeHello({ protocol: 1, peer: LOCAL }))).toEqual({ kind: 'hello', hello: { protocol: 1, peer: LOCAL } });
    expect(decodeFrame(encodePing(0xdeadbeef))).toEqual({ kind: 'ping', nonce: 0xdeadbeef });
    expect(decodeFrame(encodePong(7))).toEqual({ kind: 'pong', nonce: 7 });
    expect(decodeFrame(encodeClose({ code: 'closed', message: 'bye' }))).toEqual({ kind: 'close', close: { code: 'closed', message: 'bye' } });
    expect(decodeFrame(encodeAck(3))).toEqual({ kind: 'ack', frames: 3 });
  });

  it('carries what a side takes interleaved in its hello, and reads a hello without it (an older peer)', () => {
    const interleave = { messages: 16, bytes: 80 * 1024 * 1024 };
    expect(decodeFrame(encodeHello({ protocol: 2, peer: LOCAL, interleave }))).toEqual({ kind: 'hello', hello: { protocol: 2, peer: LOCAL, interleave } });
    expect(decodeFrame(encodeHello({ protocol: 2, peer: LOCAL }))).toEqual({ kind: 'hello', hello: { protocol: 2, peer: LOCAL } });
    const bad = withKind(FrameKind.hello, JSON.stringify({ protocol: 2, peer: LOCAL, interleave: { messages: 0, bytes: 1 } }));
    expect(() => decodeFrame(bad)).toThrow(/hello frame is invalid at interleave.messages/);
  });

  it('cuts long close messages so a close frame stays small', () => {
    const frame = encodeClose({ code: 'closed', message: 'x'.repeat(10_000) });
    const decoded = decodeFrame(frame) as Extract<Frame, { kind: 'close' }>;
    expect(decoded.close.message).toHaveLength(MAX_CLOSE_MESSAGE_CHARS);
    expect(frame.byteLength).toBeLessThan(1024);
    const escaped = encodeClose({ code: 'closed', message: '\u0000🎵'.repeat(300) });
    expect(escaped.byteLength).toBeLessThanOrEqual(512);
    expect(decodeFrame(escaped).kind).toBe('close');
  });
});

describe('wire: messages', () => {
  it('sends a small message in one frame', () => {
    const { frames, message, value } = roundTrip('data', 'chat', 0, { hi: 'there' }, 1024);
    expect(frames).toHaveLength(1);
    expect(message).toMatchObject({ type: 'data', channel: 'chat', id: 0, encoding: Encoding.json });
    expect(value).toEqual({ hi: 'there' });
  });

  it('chunks a 5 MiB message into frames no larger than the frame size', () => {
    const body = new Uint8Array(5 * 1024 * 1024).map((_, i) => i * 31);
    const { frames, value } = roundTrip('request', 'files', 42, body, 16 * 1024);
    const header = 11 + 'files'.length;
    expect(frames.length).toBe(1 + Math.ceil((body.byteLength - (16 * 1024 - header)) / (16 * 1024 - 1)));
    expect(value).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(value as Uint8Array).equals(Buffer.from(body))).toBe(true);
  });

  it('round-trips any message at any frame size (property)', () => {
    const json = fc.jsonValue() as fc.Arbitrary<Parameters<typeof encodeBody>[0]>;
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 20_000 }), json),
        fc.integer({ min: 300, max: 5000 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.constantFrom<MessageType>('data', 'request', 'response'),
        (message, frameSize, channel, type) => {
          const id = type === 'data' ? 0 : 9;
          const { value, message: assembled } = roundTrip(type, channel, id, message, frameSize);
          expect(assembled.channel).toBe(channel);
          if (message instanceof Uint8Array) expect(Array.from(value as Uint8Array)).toEqual(Array.from(message));
          else expect(value).toEqual(JSON.parse(JSON.stringify(message)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses values JSON cannot carry and channel names out of bounds', () => {
    expect(() => encodeBody(undefined as never)).toThrow(TypeError);
    expect(() => encodeBody((() => 1) as never)).toThrow(TypeError);
    expect(() => channelNameBytes('')).toThrow(RangeError);
    expect(() => channelNameBytes('é'.repeat(128))).toThrow(RangeError); // 256 bytes
    expect(channelNameBytes('x'.repeat(255)).byteLength).toBe(255);
  });
});

describe('wire: untrusted input', () => {
  const bad: [string, Uint8Array | unknown, RegExp][] = [
    ['an empty frame', new Uint8Array(0), /empty frame/],
    ['a non-binary frame', 'hello', /not binary/],
    ['an unknown kind', Uint8Array.of(0x7f, 1, 2), /unknown frame kind 0x7f/],
    ['a short ping', Uint8Array.of(FrameKind.ping, 1, 2, 3), /ping frame must hold 4 bytes/],
    ['a hello that is not JSON', withKind(FrameKind.hello, '{nope'), /hello frame does not hold valid JSON/],
    ['a hello with invalid UTF-8', withKind(FrameKind.hello, Uint8Array.of(0xff, 0xfe)), /hello frame does not hold valid JSON/],
    [
      'a hello with a bad peer id',
      withKind(FrameKind.hello, JSON.stringify({ protocol: 1, peer: { id: 'X', name: 'n' } })),
      /hello frame is invalid at peer.id/,
    ],
    ['a close with a bad code', withKind(FrameKind.close, JSON.stringify({ code: 'NOT OK', message: '' })), /close frame is invalid at code/],
    ['an empty chunk', Uint8Array.of(FrameKind.chunk), /empty chunk/],
    ['a truncated message header', Uint8Array.of(FrameKind.data, 0, 0, 0), /shorter than its header/],
    ['an unknown encoding', startFrame({ encoding: 9, total: 0 }), /unknown encoding 9/],
    ['an empty channel name', startFrame({ channel: '', total: 0 }), /empty channel name/],
    ['a truncated channel name', startFrame({ channel: 'abc', total: 0 }).subarray(0, 12), /shorter than its channel name/],
    [
      'a channel name with invalid UTF-8',
      (() => {
        const f = startFrame({ channel: 'ab', total: 0 });
        f[11] = 0xff;
        return f;
      })(),
      /channel name is not valid UTF-8/,
    ],
    ['a request without an id', startFrame({ kind: FrameKind.request, total: 0 }), /request frame has no request id/],
    ['an error response that is not JSON', startFrame({ kind: FrameKind.error, id: 1, total: 0 }), /error frame must hold JSON/],
    ['a short ack', Uint8Array.of(FrameKind.ack, 0, 1), /ack frame must hold 4 bytes/],
    ['an ack of no frame', encodeAck(0), /acknowledges no frame/],
    ['a tagged frame cut short', Uint8Array.of(FrameKind.tagged, 0, 0, 1), /shorter than its tag and kind/],
    ['a tagged ping', Uint8Array.of(FrameKind.tagged, 0, 0, 0, 1, FrameKind.ping, 0, 0, 0, 1), /carries frame kind 0x02, not a message frame/],
    ['a tagged empty chunk', Uint8Array.of(FrameKind.tagged, 0, 0, 0, 1, FrameKind.chunk), /empty chunk/],
    ['a tagged message header cut short', Uint8Array.of(FrameKind.tagged, 0, 0, 0, 1, FrameKind.data, 0, 0), /shorter than its header/],
  ];
  for (const [what, frame, message] of bad) {
    it(`rejects ${what} with a ProtocolError`, () => {
      expect(() => decodeFrame(frame as Uint8Array)).toThrow(ProtocolError);
      expect(() => decodeFrame(frame as Uint8Array)).toThrow(message);
    });
  }

  it('rejects bodies that do not decode', () => {
    expect(() => decodeBody(Encoding.json, text.encode('{"a":'))).toThrow(/does not parse/);
    expect(() => decodeBody(Encoding.json, Uint8Array.of(0xc3, 0x28))).toThrow(/not valid UTF-8/);
  });

  it('carries JSON nested up to the limit, and refuses deeper both ways', () => {
    const levels = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(decodeBody(Encoding.json, text.encode(levels(MAX_JSON_DEPTH)))).toEqual(JSON.parse(levels(MAX_JSON_DEPTH)));
    // 5,000 levels is 10 KB: parsed, it would take any recursive reader past its stack.
    const deep = text.encode(levels(5000));
    expect(() => decodeBody(Encoding.json, deep)).toThrow(ProtocolError);
    expect(() => decodeBody(Encoding.json, deep)).toThrow(`a JSON message nests deeper than ${MAX_JSON_DEPTH} levels`);
    expect(() => encodeBody(JSON.parse(levels(MAX_JSON_DEPTH + 1)))).toThrow(TypeError);
    expect(encodeBody(JSON.parse(levels(MAX_JSON_DEPTH))).body).toEqual(text.encode(levels(MAX_JSON_DEPTH)));
  });
});

describe('reassembly', () => {
  const start = (total: number, body = new Uint8Array(0)) => decodeFrame(startFrame({ total, body })) as Extract<Frame, { kind: 'start' }>;
  const chunk = (bytes: number[]) => decodeFrame(Uint8Array.of(FrameKind.chunk, ...bytes)) as Extract<Frame, { kind: 'chunk' }>;

  it('refuses a chunk with no message in progress', () => {
    expect(() => new Reassembler(100).push(chunk([1]))).toThrow(/no message in progress/);
  });

  it('refuses a new message before the previous one is complete', () => {
    const r = new Reassembler(100);
    r.push(start(10, Uint8Array.of(1)));
    expect(r.busy).toBe(true);
    expect(() => r.push(start(1, Uint8Array.of(1)))).toThrow(/before the previous one was complete/);
  });

  it('refuses a declared size over the limit before receiving it', () => {
    expect(() => new Reassembler(1000).push(start(1001))).toThrow(/1001 bytes exceeds the 1000 byte limit/);
  });

  it('refuses more bytes than declared, in the first frame or a chunk', () => {
    expect(() => new Reassembler(100).push(start(1, Uint8Array.of(1, 2)))).toThrow(/longer than the 1 bytes/);
    const r = new Reassembler(100);
    r.push(start(3, Uint8Array.of(1)));
    expect(() => r.push(chunk([2, 3, 4]))).toThrow(/longer than the 3 bytes/);
  });

  const tagged = (tag: number, frame: Uint8Array) => {
    const out = new Uint8Array(5 + frame.byteLength);
    out[0] = FrameKind.tagged;
    new DataView(out.buffer).setUint32(1, tag);
    out.set(frame, 5);
    return decodeFrame(out) as Extract<Frame, { kind: 'start' | 'chunk' }>;
  };
  const taggedStart = (tag: number, total: number, body: number[]) => tagged(tag, startFrame({ total, body: Uint8Array.from(body) }));
  const taggedChunk = (tag: number, bytes: number[]) => tagged(tag, Uint8Array.of(FrameKind.chunk, ...bytes));

  it('assembles tagged messages whose frames interleave, beside an untagged one', () => {
    const r = new Reassembler(100, { messages: 3, bytes: 100 });
    expect(r.push(taggedStart(7, 3, [1]))).toBeUndefined();
    expect(r.push(taggedStart(9, 2, [5]))).toBeUndefined();
    expect(r.push(start(2, Uint8Array.of(8)))).toBeUndefined();
    expect(Array.from(r.push(taggedChunk(9, [6]))!.body)).toEqual([5, 6]);
    expect(r.push(taggedChunk(7, [2]))).toBeUndefined();
    expect(Array.from(r.push(chunk([9]))!.body)).toEqual([8, 9]);
    expect(Array.from(r.push(taggedChunk(7, [3]))!.body)).toEqual([1, 2, 3]);
    expect(r.busy).toBe(false);
    // A tag is free again once its message is complete.
    expect(r.push(taggedStart(7, 1, [4]))).toMatchObject({ body: Uint8Array.of(4) });
  });

  it('refuses tagged frames that break the rules or the limits this side offered', () => {
    expect(() => new Reassembler(100).push(taggedChunk(1, [1]))).toThrow(/for tag 1, which has no message in progress/);
    const reused = new Reassembler(100);
    reused.push(taggedStart(1, 5, [1]));
    expect(() => reused.push(taggedStart(1, 5, [1]))).toThrow(/tag 1, which is still in progress/);
    const count = new Reassembler(100, { messages: 2, bytes: 100 });
    count.push(taggedStart(1, 5, [1]));
    count.push(taggedStart(2, 5, [1]));
    expect(() => count.push(taggedStart(3, 5, [1]))).toThrow(ProtocolError);
    expect(() => count.push(taggedStart(3, 5, [1]))).toThrow(/message 3 in progress at once; this side takes 2/);
    const bytes = new Reassembler(100, { messages: 4, bytes: 30 });
    bytes.push(taggedStart(1, 90, [1])); // alone: bounded by the message size only
    expect(() => bytes.push(taggedStart(2, 5, [1]))).toThrow(/bring the messages in progress to 95 bytes; this side takes 30/);
    expect(() => new Reassembler(100).push(taggedStart(1, 101, [1]))).toThrow(/101 bytes exceeds the 100 byte limit/);
  });

  it('assembles a message from its parts into its own buffer', () => {
    const r = new Reassembler(100);
    expect(r.push(start(3, Uint8Array.of(1)))).toBeUndefined();
    expect(r.push(chunk([2]))).toBeUndefined();
    const message = r.push(chunk([3]))!;
    expect(Array.from(message.body)).toEqual([1, 2, 3]);
    expect(message.body.byteOffset).toBe(0);
    expect(message.body.buffer.byteLength).toBe(3);
    expect(r.busy).toBe(false);
  });
});
