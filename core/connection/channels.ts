/**
 * Named channels multiplexed on one connection, and the buffer that holds what arrives before
 * anyone listens. Replication subscribes a moment after the connection opens, while the remote
 * may already be talking, so a channel buffers messages until its first `onMessage` subscriber
 * (and requests until its first `onRequest` handler). The buffer is bounded across all
 * channels; beyond it, and once a channel's subscribers have all left, arrivals are dropped and
 * counted (a dropped request is answered with an error so the remote is not left waiting).
 */
import { describe } from '../errors';
import type { Channel, Message, Unsubscribe } from './types';

export type RequestOutcome = { ok: true; value: Message } | { ok: false; message: string };

/** What channels need from the connection. */
export interface ChannelIo {
  send(channel: string, message: Message): Promise<void>;
  request(channel: string, message: Message, options?: { timeoutMs?: number }): Promise<Message>;
  respond(channel: string, id: number, outcome: RequestOutcome): void;
  /** A listener or handler threw: it must not disturb the connection. */
  listenerError(error: unknown): void;
}

export interface BufferLimits {
  messages: number;
  bytes: number;
}

type MessageHandler = (message: Message) => void;
type RequestHandler = (message: Message) => Message | Promise<Message>;
interface Buffered {
  message: Message;
  /** Bytes counted against the buffer bound; undefined for entries that bypassed it. */
  reserved: number | undefined;
}
interface BufferedRequest extends Buffered {
  id: number;
}

class ChannelState {
  readonly listeners = new Set<MessageHandler>();
  everListened = false;
  requestHandler: RequestHandler | undefined;
  everHandled = false;
  readonly messages: Buffered[] = [];
  readonly requests: BufferedRequest[] = [];
  flushScheduled = false;
  readonly api: Channel;

  constructor(
    readonly name: string,
    registry: Channels,
    io: ChannelIo,
  ) {
    this.api = {
      name,
      send: (message) => io.send(name, message),
      request: (message, options) => io.request(name, message, options),
      onMessage: (handler) => registry.subscribe(this, handler),
      onRequest: (handler) => registry.handle(this, handler),
    };
  }
}

export class Channels {
  private readonly channels = new Map<string, ChannelState>();
  private bufferedMessages = 0;
  private bufferedBytes = 0;
  private closed = false;
  dropped = 0;

  constructor(
    private readonly io: ChannelIo,
    private readonly limits: BufferLimits,
  ) {}

  get(name: string): Channel {
    return this.state(name).api;
  }

  deliverMessage(name: string, message: Message, bytes: number): void {
    const channel = this.state(name);
    if (channel.listeners.size > 0 && channel.messages.length === 0) return this.emit(channel, message);
    // With a listener present the buffer is about to be flushed: keep order, skip the bound.
    if (channel.listeners.size > 0) return void channel.messages.push({ message, reserved: undefined });
    if (channel.everListened || !this.reserve(bytes)) return void this.dropped++;
    channel.messages.push({ message, reserved: bytes });
  }

  deliverRequest(name: string, id: number, message: Message, bytes: number): void {
    const channel = this.state(name);
    if (channel.requestHandler && channel.requests.length === 0) return this.answer(channel, id, message);
    if (channel.requestHandler) return void channel.requests.push({ id, message, reserved: undefined });
    if (!channel.everHandled && this.reserve(bytes)) return void channel.requests.push({ id, message, reserved: bytes });
    this.dropped++;
    const why = channel.everHandled ? 'has no request handler' : 'is not handling requests yet and its buffer is full';
    this.io.respond(name, id, { ok: false, message: `channel "${name}" ${why}` });
  }

  /** The connection ended: drop what is buffered and deliver nothing more. */
  close(): void {
    this.closed = true;
    for (const channel of this.channels.values()) {
      channel.messages.length = 0;
      channel.requests.length = 0;
    }
    this.bufferedMessages = 0;
    this.bufferedBytes = 0;
  }

  subscribe(channel: ChannelState, handler: MessageHandler): Unsubscribe {
    channel.listeners.add(handler);
    channel.everListened = true;
    this.scheduleFlush(channel);
    return () => void channel.listeners.delete(handler);
  }

  handle(channel: ChannelState, handler: RequestHandler): Unsubscribe {
    if (channel.requestHandler) throw new Error(`channel "${channel.name}" already has a request handler`);
    channel.requestHandler = handler;
    channel.everHandled = true;
    this.scheduleFlush(channel);
    return () => {
      if (channel.requestHandler === handler) channel.requestHandler = undefined;
    };
  }

  private state(name: string): ChannelState {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new ChannelState(name, this, this.io);
      this.channels.set(name, channel);
    }
    return channel;
  }

  private reserve(bytes: number): boolean {
    if (this.bufferedMessages + 1 > this.limits.messages) return false;
    if (this.bufferedBytes + bytes > this.limits.bytes) return false;
    this.bufferedMessages++;
    this.bufferedBytes += bytes;
    return true;
  }

  private release(entry: Buffered): void {
    if (entry.reserved === undefined) return;
    this.bufferedMessages--;
    this.bufferedBytes -= entry.reserved;
  }

  /** Buffered messages are delivered on a microtask, not inside `onMessage`, so the subscriber
   * has its unsubscribe function before its handler first runs. */
  private scheduleFlush(channel: ChannelState): void {
    if (channel.flushScheduled || (channel.messages.length === 0 && channel.requests.length === 0)) return;
    channel.flushScheduled = true;
    queueMicrotask(() => this.flush(channel));
  }

  private flush(channel: ChannelState): void {
    channel.flushScheduled = false;
    if (this.closed) return;
    while (channel.messages.length > 0 && channel.listeners.size > 0) {
      const entry = channel.messages.shift()!;
      this.release(entry);
      this.emit(channel, entry.message);
      if (this.closed) return;
    }
    while (channel.requests.length > 0 && channel.requestHandler) {
      const entry = channel.requests.shift()!;
      this.release(entry);
      this.answer(channel, entry.id, entry.message);
      if (this.closed) return;
    }
  }

  private emit(channel: ChannelState, message: Message): void {
    for (const listener of [...channel.listeners]) {
      try {
        listener(message);
      } catch (error) {
        this.io.listenerError(error);
      }
    }
  }

  private answer(channel: ChannelState, id: number, message: Message): void {
    const handler = channel.requestHandler!;
    const fail = (error: unknown) => this.io.respond(channel.name, id, { ok: false, message: describe(error) });
    let result: Message | Promise<Message>;
    try {
      result = handler(message);
    } catch (error) {
      return fail(error);
    }
    Promise.resolve(result).then((value) => this.io.respond(channel.name, id, { ok: true, value }), fail);
  }
}
