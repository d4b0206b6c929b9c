/**
 * Rebuilds messages from their first frame and CHUNK frames. Chunks of different messages do
 * not interleave (see wire.ts), so one partial message at a time is all there is to hold.
 * Memory grows with bytes actually received, never with a length the remote merely declares.
 */
import { ProtocolError } from '../errors';
import type { Encoding, Frame, MessageType } from './wire';

export interface AssembledMessage {
  type: MessageType;
  encoding: Encoding;
  id: number;
  channel: string;
  body: Uint8Array;
}

type StartFrame = Extract<Frame, { kind: 'start' }>;
type ChunkFrame = Extract<Frame, { kind: 'chunk' }>;

export class Reassembler {
  private partial: { start: StartFrame; parts: Uint8Array[]; received: number } | undefined;

  constructor(private readonly maxMessageSize: number) {}

  /** True while a message is half received. */
  get busy(): boolean {
    return this.partial !== undefined;
  }

  /** Feed one message frame; returns the message once its last byte arrived. */
  push(frame: StartFrame | ChunkFrame): AssembledMessage | undefined {
    if (frame.kind === 'start') return this.begin(frame);
    const partial = this.partial;
    if (!partial) throw new ProtocolError('a chunk frame arrived with no message in progress');
    partial.received += frame.part.byteLength;
    if (partial.received > partial.start.total) {
      throw new ProtocolError(`a ${partial.start.type} message is longer than the ${partial.start.total} bytes it declared`);
    }
    partial.parts.push(frame.part);
    if (partial.received < partial.start.total) return undefined;
    this.partial = undefined;
    return assembled(partial.start, concat(partial.parts, partial.received));
  }

  private begin(start: StartFrame): AssembledMessage | undefined {
    if (this.partial) throw new ProtocolError('a new message started before the previous one was complete');
    if (start.total > this.maxMessageSize) {
      throw new ProtocolError(`a ${start.type} message of ${start.total} bytes exceeds the ${this.maxMessageSize} byte limit`);
    }
    if (start.part.byteLength > start.total) {
      throw new ProtocolError(`a ${start.type} message is longer than the ${start.total} bytes it declared`);
    }
    if (start.part.byteLength === start.total) return assembled(start, start.part.slice());
    this.partial = { start, parts: [start.part], received: start.part.byteLength };
    return undefined;
  }
}

function assembled(start: StartFrame, body: Uint8Array): AssembledMessage {
  return { type: start.type, encoding: start.encoding, id: start.id, channel: start.channel, body };
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
