/**
 * Rebuilds messages from their first frame and CHUNK frames. Untagged, one partial message at a
 * time is all there is to hold (see wire.ts); tagged, several may be in progress, as many and as
 * large in sum as this side offered in its hello (`InterleaveLimits`), any one alone bounded by
 * the maximum message size. So what a remote can make us hold is bounded by what we offered,
 * whatever it declares.
 *
 * A message's buffer is allocated whole at its first frame and filled as chunks come: no copy of
 * the whole message at its end, which would stall every other channel's delivery. (The engines
 * commit a large zeroed buffer's pages as they are written, so memory still follows the bytes
 * received; the limits above bound it in any case.)
 */
import { ProtocolError } from '../errors';
import { interleaveLimits, type ChunkFrame, type Encoding, type InterleaveLimits, type MessageType, type StartFrame } from './wire';

export interface AssembledMessage {
  type: MessageType;
  encoding: Encoding;
  id: number;
  channel: string;
  body: Uint8Array;
}

interface Partial {
  start: StartFrame;
  body: Uint8Array;
  received: number;
}

/** The key of the one untagged message in progress (tags are u32). */
const UNTAGGED = -1;

export class Reassembler {
  private readonly partials = new Map<number, Partial>();
  /** Sum of the declared lengths of the messages in progress. */
  private declared = 0;

  constructor(
    private readonly maxMessageSize: number,
    private readonly limits: InterleaveLimits = interleaveLimits(maxMessageSize),
  ) {}

  /** True while a message is half received. */
  get busy(): boolean {
    return this.partials.size > 0;
  }

  /** Feed one message frame; returns the message once its last byte arrived. */
  push(frame: StartFrame | ChunkFrame): AssembledMessage | undefined {
    if (frame.kind === 'start') return this.begin(frame);
    const key = frame.tag ?? UNTAGGED;
    const partial = this.partials.get(key);
    if (!partial) {
      throw new ProtocolError(
        frame.tag === undefined
          ? 'a chunk frame arrived with no message in progress'
          : `a chunk frame arrived for tag ${frame.tag}, which has no message in progress`,
      );
    }
    const received = partial.received + frame.part.byteLength;
    if (received > partial.start.total) {
      throw new ProtocolError(`a ${partial.start.type} message is longer than the ${partial.start.total} bytes it declared`);
    }
    partial.body.set(frame.part, partial.received);
    partial.received = received;
    if (received < partial.start.total) return undefined;
    this.partials.delete(key);
    this.declared -= partial.start.total;
    return assembled(partial.start, partial.body);
  }

  private begin(start: StartFrame): AssembledMessage | undefined {
    const key = start.tag ?? UNTAGGED;
    if (this.partials.has(key)) {
      throw new ProtocolError(
        start.tag === undefined
          ? 'a new message started before the previous one was complete'
          : `a message started with tag ${start.tag}, which is still in progress`,
      );
    }
    if (start.total > this.maxMessageSize) {
      throw new ProtocolError(`a ${start.type} message of ${start.total} bytes exceeds the ${this.maxMessageSize} byte limit`);
    }
    if (start.part.byteLength > start.total) {
      throw new ProtocolError(`a ${start.type} message is longer than the ${start.total} bytes it declared`);
    }
    if (start.part.byteLength === start.total) return assembled(start, start.part.slice());
    if (this.partials.size > 0) this.checkRoomFor(start);
    const body = new Uint8Array(start.total);
    body.set(start.part);
    this.partials.set(key, { start, body, received: start.part.byteLength });
    this.declared += start.total;
    return undefined;
  }

  /** Another message beside those in progress: within the limits this side offered. */
  private checkRoomFor(start: StartFrame): void {
    if (this.partials.size + 1 > this.limits.messages) {
      throw new ProtocolError(
        `a ${start.type} message would be message ${this.partials.size + 1} in progress at once; this side takes ${this.limits.messages}`,
      );
    }
    if (this.declared + start.total > this.limits.bytes) {
      throw new ProtocolError(
        `a ${start.type} message of ${start.total} bytes would bring the messages in progress to ${this.declared + start.total} bytes; this side takes ${this.limits.bytes}`,
      );
    }
  }
}

function assembled(start: StartFrame, body: Uint8Array): AssembledMessage {
  return { type: start.type, encoding: start.encoding, id: start.id, channel: start.channel, body };
}
