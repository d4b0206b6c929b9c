/**
 * Wire format of a connection: how core's messages become pipe frames and back.
 *
 * Every frame starts with one kind byte. Integers are unsigned big-endian. Text is UTF-8.
 *
 *   0x01 HELLO  JSON {"protocol": 1, "peer": {"id", "name"}, "auth": {"nonce", "key"?},
 *               "interleave"?: {"messages", "bytes"}}: first frame each side sends
 *   0x05 PROOF  64-byte Ed25519 signature answering the other side's nonce (see proof.ts)
 *   0x07 SECURE a message of the secure session's handshake (secure/session.ts), only on a pipe
 *               with no secure session of its own, before anything else; every frame after it
 *               is sealed (the frames listed here, encrypted and authenticated)
 *   0x02 PING   u32 nonce
 *   0x03 PONG   u32 nonce (echo of the ping's)
 *   0x04 CLOSE  JSON {"code", "message"}: the sender is closing; the receiver closes the pipe
 *   0x06 ACK    u32 count (at least 1): the sender read this many more TAGGED frames
 *   0x10 DATA       \
 *   0x11 REQUEST     | first frame of a message, laid out as
 *   0x12 RESPONSE    |   u8 encoding (0 = raw bytes, 1 = JSON text)
 *   0x13 ERROR      /    u32 total body length, u32 request id (0 for DATA),
 *                        u8 channel name length (1..255), channel name, first body bytes
 *   0x20 CHUNK  more body bytes of the message being reassembled
 *   0x30 TAGGED u32 tag, then a first frame (0x10..0x13) or a CHUNK of the message with that tag
 *
 * A message whose body does not fit in its first frame continues in CHUNK frames. Untagged,
 * the chunks of different messages never interleave: the receiver holds at most one partial
 * message, and order across the whole connection is preserved. That is all a peer sends to a
 * remote whose hello has no `interleave`. To one whose hello has it, every message that takes
 * more than one frame travels TAGGED (the tag is the sender's, unique among its messages in
 * progress), so frames of messages on different channels can interleave: a small message on
 * one channel need not wait for a large one on another (see send-schedule.ts). The hello's
 * `interleave` bounds what the remote may have in progress at once: how many messages, and the
 * sum of their declared lengths (any one message alone is bounded by the maximum message size
 * only). A message that fits in one frame of `TAGGED_FRAME_SIZE` goes untagged, whole. Control frames (PING, PONG, CLOSE)
 * may appear between any two frames, so heartbeats keep flowing during a large transfer.
 *
 * A side that offers `interleave` answers every TAGGED frame it reads with an ACK (any number
 * at once), and its remote keeps the TAGGED bytes not yet acknowledged within a window (see
 * send-window.ts): the queues under a pipe (WebRTC's SCTP send buffer holds about 2 MB that its
 * `bufferedAmount` never shows) then hold little of a large transfer, and a small message sent
 * meanwhile waits behind little.
 *
 * ERROR carries the remote handler's error message as a JSON string.
 * Decoding never trusts the input: anything malformed throws a `ProtocolError`.
 */
import { z } from 'zod';
import { PeerInfo } from '../contracts/peer';
import { ProtocolError } from '../errors';
import { jsonShapeProblem } from '../util/json-shape';
import type { Json, Message } from './types';
import { HelloAuth } from './proof';

/** 2: proofs are bound to the transport's session (see proof.ts). A pipe without a session of
 * its own is encrypted first (0x07 frames): an older peer's plaintext hello is told apart there,
 * so the hello's version stays, and peers on WebRTC keep talking across the change. */
export const PROTOCOL_VERSION = 2;

export const FrameKind = {
  hello: 0x01,
  ping: 0x02,
  pong: 0x03,
  close: 0x04,
  proof: 0x05,
  ack: 0x06,
  /** Never decoded here: the secure session takes these before any frame reaches the decoder. */
  secure: 0x07,
  data: 0x10,
  request: 0x11,
  response: 0x12,
  error: 0x13,
  chunk: 0x20,
  tagged: 0x30,
} as const;

export type MessageType = 'data' | 'request' | 'response' | 'error';
const messageTypeByKind = new Map<number, MessageType>([
  [FrameKind.data, 'data'],
  [FrameKind.request, 'request'],
  [FrameKind.response, 'response'],
  [FrameKind.error, 'error'],
]);

export const Encoding = { bytes: 0, json: 1 } as const;
export type Encoding = (typeof Encoding)[keyof typeof Encoding];

/** Fixed part of a message's first frame: kind, encoding, total length, request id, name length. */
const START_FIXED_BYTES = 11;
export const MAX_CHANNEL_NAME_BYTES = 255;
/** Close messages are cut to this many characters so a CLOSE frame always fits. */
export const MAX_CLOSE_MESSAGE_CHARS = 200;
/** Smallest pipe frame core can work with: a hello or close frame, or a first frame with the
 * longest channel name and at least one body byte, always fits, even sealed by the secure
 * session (16 bytes of tag): a hello is at most about 600 bytes (a 64-character name). */
export const MIN_FRAME_SIZE = 1024;
/** Frames are cut at most this big even on pipes that accept more, so heartbeats never wait
 * behind one huge frame. */
export const MAX_USED_FRAME_SIZE = 256 * 1024;
/** TAGGED frames are cut at most this big, so the window of unacknowledged bytes holds several
 * and a small message waits behind less. */
export const TAGGED_FRAME_SIZE = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Bytes a TAGGED frame adds in front of the frame it carries: the kind and the tag. */
export const TAG_BYTES = 5;
/** Messages in progress at once this side takes from a remote that interleaves. */
export const MAX_INTERLEAVED_MESSAGES = 16;
/** Declared bytes this side takes in progress beside one message of the largest size, so other
 * channels' messages can still start while one that large is on its way. */
export const INTERLEAVE_HEADROOM_BYTES = 16 * 1024 * 1024;

/** What a side takes interleaved (see the top of this file). An old peer's hello has none. */
export const InterleaveLimits = z.object({
  messages: z.number().int().min(1).max(1024),
  bytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});
export type InterleaveLimits = z.infer<typeof InterleaveLimits>;

/** The limits a receiver with this maximum message size offers. */
export function interleaveLimits(maxMessageSize: number): InterleaveLimits {
  return { messages: MAX_INTERLEAVED_MESSAGES, bytes: Math.min(maxMessageSize + INTERLEAVE_HEADROOM_BYTES, Number.MAX_SAFE_INTEGER) };
}

export const Hello = z.object({
  protocol: z.number().int().positive(),
  peer: PeerInfo,
  auth: HelloAuth.optional(),
  interleave: InterleaveLimits.optional(),
});
export type Hello = z.infer<typeof Hello>;

export const CloseInfo = z.object({
  code: z.string().regex(/^[a-z][a-z-]{0,39}$/, 'a close code is a short lowercase tag'),
  message: z.string().max(MAX_CLOSE_MESSAGE_CHARS * 2),
});
export type CloseInfo = z.infer<typeof CloseInfo>;

export type Frame =
  | { kind: 'hello'; hello: Hello }
  | { kind: 'ping' | 'pong'; nonce: number }
  | { kind: 'ack'; frames: number }
  | { kind: 'close'; close: CloseInfo }
  | { kind: 'proof'; signature: Uint8Array }
  | {
      kind: 'start';
      type: MessageType;
      encoding: Encoding;
      total: number;
      id: number;
      channel: string;
      part: Uint8Array;
      /** Set when the frame came TAGGED. */
      tag?: number;
    }
  | { kind: 'chunk'; part: Uint8Array; tag?: number };
export type StartFrame = Extract<Frame, { kind: 'start' }>;
export type ChunkFrame = Extract<Frame, { kind: 'chunk' }>;

// ---- encoding ---------------------------------------------------------------------------

function withKind(kind: number, body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(1 + body.byteLength);
  frame[0] = kind;
  frame.set(body, 1);
  return frame;
}

/** A Noise handshake message of the secure session (core/connection/secure), as its frame. */
export function encodeSecure(message: Uint8Array): Uint8Array {
  return withKind(FrameKind.secure, message);
}

export function encodeHello(hello: Hello): Uint8Array {
  return withKind(FrameKind.hello, encoder.encode(JSON.stringify(hello)));
}

export const SIGNATURE_BYTES = 64;

export function encodeProof(signature: Uint8Array): Uint8Array {
  return withKind(FrameKind.proof, signature);
}

export function encodePing(nonce: number): Uint8Array {
  return encodeNonce(FrameKind.ping, nonce);
}

export function encodePong(nonce: number): Uint8Array {
  return encodeNonce(FrameKind.pong, nonce);
}

export function encodeAck(frames: number): Uint8Array {
  return encodeNonce(FrameKind.ack, frames);
}

function encodeNonce(kind: number, nonce: number): Uint8Array {
  const frame = new Uint8Array(5);
  frame[0] = kind;
  new DataView(frame.buffer).setUint32(1, nonce >>> 0);
  return frame;
}

/** Close frames are kept under this many bytes, well inside `MIN_FRAME_SIZE`. */
const MAX_CLOSE_FRAME_BYTES = 512;

export function encodeClose(close: CloseInfo): Uint8Array {
  let message = close.message.slice(0, MAX_CLOSE_MESSAGE_CHARS);
  for (;;) {
    const frame = withKind(FrameKind.close, encoder.encode(JSON.stringify({ code: close.code, message })));
    // Multi-byte characters and JSON escapes can outgrow the character cut: halve until it fits.
    if (frame.byteLength <= MAX_CLOSE_FRAME_BYTES) return frame;
    message = message.slice(0, Math.floor(message.length / 2));
  }
}

/** A message's body as it travels: raw bytes, or JSON text. Throws a TypeError for a value
 * JSON cannot represent (undefined, a function, a BigInt, a cycle) or that is deeper or larger
 * than core's bounds (`core/util/json-shape.ts`: the remote would refuse it). */
export function encodeBody(message: Message): { encoding: Encoding; body: Uint8Array } {
  if (message instanceof Uint8Array) return { encoding: Encoding.bytes, body: message };
  const problem = jsonShapeProblem(message);
  if (problem) throw new TypeError(`a JSON message that ${problem} cannot be sent`);
  const text = JSON.stringify(message);
  if (text === undefined) throw new TypeError('a message must be a Uint8Array or a JSON value');
  return { encoding: Encoding.json, body: encoder.encode(text) };
}

export function decodeBody(encoding: Encoding, body: Uint8Array): Message {
  if (encoding === Encoding.bytes) return body;
  let text: string;
  try {
    text = decoder.decode(body);
  } catch (cause) {
    throw new ProtocolError('a JSON message is not valid UTF-8', { cause });
  }
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (cause) {
    throw new ProtocolError('a JSON message does not parse', { cause });
  }
  const problem = jsonShapeProblem(value);
  if (problem) throw new ProtocolError(`a JSON message ${problem}`);
  return value;
}

export function channelNameBytes(name: string): Uint8Array {
  const bytes = encoder.encode(name);
  if (bytes.byteLength < 1 || bytes.byteLength > MAX_CHANNEL_NAME_BYTES) {
    throw new RangeError(`a channel name is 1 to ${MAX_CHANNEL_NAME_BYTES} UTF-8 bytes, got ${bytes.byteLength}`);
  }
  return bytes;
}

export interface OutgoingMessage {
  type: MessageType;
  channel: Uint8Array;
  id: number;
  encoding: Encoding;
  body: Uint8Array;
}

/** Whether a message goes out in one (untagged) frame of at most `frameSize` bytes. */
export function fitsOneFrame(message: OutgoingMessage, frameSize: number): boolean {
  return START_FIXED_BYTES + message.channel.byteLength + message.body.byteLength <= frameSize;
}

/**
 * Cuts a message into frames of at most `frameSize` bytes, one at a time as they are sent, so a
 * queued message costs no more memory than its body. With a tag, every frame goes TAGGED.
 */
export class FrameCutter {
  /** Body bytes already cut; -1 before the first frame. */
  private offset = -1;
  private readonly prefix: number;

  constructor(
    private readonly message: OutgoingMessage,
    private readonly frameSize: number,
    private readonly tag?: number,
  ) {
    this.prefix = tag === undefined ? 0 : TAG_BYTES;
    const headerBytes = this.prefix + START_FIXED_BYTES + message.channel.byteLength;
    if (frameSize <= headerBytes || frameSize <= this.prefix + 1) throw new RangeError(`frame size ${frameSize} cannot hold a message header`);
  }

  get done(): boolean {
    return this.offset >= this.message.body.byteLength && this.offset >= 0;
  }

  next(): Uint8Array {
    if (this.done) throw new RangeError('every frame of this message was cut');
    return this.offset < 0 ? this.first() : this.chunk();
  }

  private first(): Uint8Array {
    const { body, channel } = this.message;
    const headerBytes = START_FIXED_BYTES + channel.byteLength;
    const part = Math.min(body.byteLength, this.frameSize - this.prefix - headerBytes);
    const frame = this.framed(headerBytes + part);
    const start = this.prefix;
    const view = new DataView(frame.buffer);
    frame[start] = FrameKind[this.message.type];
    frame[start + 1] = this.message.encoding;
    view.setUint32(start + 2, body.byteLength);
    view.setUint32(start + 6, this.message.id >>> 0);
    frame[start + 10] = channel.byteLength;
    frame.set(channel, start + START_FIXED_BYTES);
    frame.set(body.subarray(0, part), start + headerBytes);
    this.offset = part;
    return frame;
  }

  private chunk(): Uint8Array {
    const body = this.message.body;
    const part = body.subarray(this.offset, this.offset + this.frameSize - this.prefix - 1);
    const frame = this.framed(1 + part.byteLength);
    frame[this.prefix] = FrameKind.chunk;
    frame.set(part, this.prefix + 1);
    this.offset += part.byteLength;
    return frame;
  }

  /** A frame with room for `inner` bytes after the TAGGED prefix, if any, filled in. */
  private framed(inner: number): Uint8Array {
    const frame = new Uint8Array(this.prefix + inner);
    if (this.tag !== undefined) {
      frame[0] = FrameKind.tagged;
      new DataView(frame.buffer).setUint32(1, this.tag >>> 0);
    }
    return frame;
  }
}

/** Every frame of a message at once (tests; the send queue cuts them as it goes). */
export function* messageFrames(message: OutgoingMessage, frameSize: number, tag?: number): Generator<Uint8Array> {
  const cutter = new FrameCutter(message, frameSize, tag);
  while (!cutter.done) yield cutter.next();
}

// ---- decoding ---------------------------------------------------------------------------

function parseJson<T>(bytes: Uint8Array, schema: z.ZodType<T>, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new ProtocolError(`a ${what} frame does not hold valid JSON`, { cause });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new ProtocolError(`a ${what} frame is invalid${where}: ${issue?.message ?? 'unknown'}`);
  }
  return parsed.data;
}

/** Decode one frame from the remote. The returned `part` views the frame's bytes. */
export function decodeFrame(frame: Uint8Array): Frame {
  if (!(frame instanceof Uint8Array)) throw new ProtocolError('a frame is not binary');
  if (frame.byteLength === 0) throw new ProtocolError('an empty frame has no kind');
  const kind = frame[0]!;
  const rest = frame.subarray(1);
  switch (kind) {
    case FrameKind.hello:
      return { kind: 'hello', hello: parseJson(rest, Hello, 'hello') };
    case FrameKind.ping:
    case FrameKind.pong: {
      if (rest.byteLength !== 4) throw new ProtocolError(`a ${kind === FrameKind.ping ? 'ping' : 'pong'} frame must hold 4 bytes`);
      const nonce = new DataView(rest.buffer, rest.byteOffset, 4).getUint32(0);
      return { kind: kind === FrameKind.ping ? 'ping' : 'pong', nonce };
    }
    case FrameKind.ack: {
      if (rest.byteLength !== 4) throw new ProtocolError('an ack frame must hold 4 bytes');
      const frames = new DataView(rest.buffer, rest.byteOffset, 4).getUint32(0);
      if (frames === 0) throw new ProtocolError('an ack frame acknowledges no frame');
      return { kind: 'ack', frames };
    }
    case FrameKind.close:
      return { kind: 'close', close: parseJson(rest, CloseInfo, 'close') };
    case FrameKind.proof:
      if (rest.byteLength !== SIGNATURE_BYTES) throw new ProtocolError(`a proof frame must hold ${SIGNATURE_BYTES} bytes`);
      return { kind: 'proof', signature: rest.slice() };
    case FrameKind.chunk:
      return decodeChunk(rest);
    case FrameKind.tagged:
      return decodeTagged(frame);
  }
  const type = messageTypeByKind.get(kind);
  if (!type) throw new ProtocolError(`unknown frame kind 0x${kind.toString(16).padStart(2, '0')}`);
  return decodeStart(type, frame);
}

function decodeChunk(part: Uint8Array): ChunkFrame {
  if (part.byteLength === 0) throw new ProtocolError('an empty chunk frame');
  return { kind: 'chunk', part };
}

function decodeTagged(frame: Uint8Array): Frame {
  if (frame.byteLength < TAG_BYTES + 1) throw new ProtocolError('a tagged frame is shorter than its tag and kind');
  const tag = new DataView(frame.buffer, frame.byteOffset, TAG_BYTES).getUint32(1);
  const inner = frame.subarray(TAG_BYTES);
  const kind = inner[0]!;
  if (kind === FrameKind.chunk) return { ...decodeChunk(inner.subarray(1)), tag };
  const type = messageTypeByKind.get(kind);
  if (!type) throw new ProtocolError(`a tagged frame carries frame kind 0x${kind.toString(16).padStart(2, '0')}, not a message frame`);
  return { ...decodeStart(type, inner), tag };
}

function decodeStart(type: MessageType, frame: Uint8Array): StartFrame {
  if (frame.byteLength < START_FIXED_BYTES) throw new ProtocolError(`a ${type} frame is shorter than its header`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const encoding = frame[1]!;
  if (encoding !== Encoding.bytes && encoding !== Encoding.json) {
    throw new ProtocolError(`a ${type} frame has unknown encoding ${encoding}`);
  }
  const total = view.getUint32(2);
  const id = view.getUint32(6);
  const nameLength = frame[10]!;
  if (nameLength === 0) throw new ProtocolError(`a ${type} frame has an empty channel name`);
  const headerBytes = START_FIXED_BYTES + nameLength;
  if (frame.byteLength < headerBytes) throw new ProtocolError(`a ${type} frame is shorter than its channel name`);
  let channel: string;
  try {
    channel = decoder.decode(frame.subarray(START_FIXED_BYTES, headerBytes));
  } catch (cause) {
    throw new ProtocolError(`a ${type} frame's channel name is not valid UTF-8`, { cause });
  }
  if ((type === 'request' || type === 'response' || type === 'error') && id === 0) {
    throw new ProtocolError(`a ${type} frame has no request id`);
  }
  if (type === 'error' && encoding !== Encoding.json) throw new ProtocolError('an error frame must hold JSON');
  return { kind: 'start', type, encoding, total, id, channel, part: frame.subarray(headerBytes) };
}
