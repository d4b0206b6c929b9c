/**
 * The pipe over one open RTCDataChannel: frames out through `send`, the channel's
 * `bufferedAmount` for core's backpressure, and `sink.drain()` when it falls to the low-water
 * mark.
 *
 * Drain detection: engines with `bufferedAmountLowThreshold` get the standard
 * `bufferedamountlow` event. @roamhq/wrtc (0.10) implements neither the attribute nor the event
 * (the channel has only `bufferedAmount`), so there the pipe polls `bufferedAmount` — only
 * while it is above the low-water mark, i.e. only while core is waiting — and stops polling
 * on close. With that engine every `bufferedAmount` read is a blocking call into its threads,
 * so `send` reads it only when an upper bound (the last value read plus the bytes sent since)
 * is over the low-water mark.
 */
import { TransportError, type Pipe, type PipeSink } from '../../core';

/** The part of an RTCDataChannel the pipe uses. */
export interface ChannelLike {
  readonly bufferedAmount: number;
  readonly readyState: string;
  bufferedAmountLowThreshold?: number;
  send(data: Uint8Array): void;
  addEventListener?(type: 'bufferedamountlow', listener: () => void): void;
  removeEventListener?(type: 'bufferedamountlow', listener: () => void): void;
}

/** Bytes that may wait in the channel before core stops sending; refilled from here. */
export const LOW_WATER_MARK = 256 * 1024;
/** Poll period of the fallback drain detection (engines without `bufferedamountlow`). */
export const DRAIN_POLL_MS = 4;

export class DataChannelPipe implements Pipe {
  readonly lowWaterMark: number;
  #open = true;
  #poll: ReturnType<typeof setInterval> | undefined;
  #onLow: (() => void) | undefined;
  /** Never below the channel's real `bufferedAmount`: only our sends raise that. */
  #bufferedBound = 0;

  constructor(
    private readonly channel: ChannelLike,
    private readonly sink: PipeSink,
    readonly maxFrameSize: number,
    private readonly closePipe: () => void,
    lowWaterMark = LOW_WATER_MARK,
  ) {
    this.lowWaterMark = lowWaterMark;
    if (typeof channel.bufferedAmountLowThreshold === 'number' && channel.addEventListener) {
      channel.bufferedAmountLowThreshold = lowWaterMark;
      this.#onLow = () => {
        if (this.#open) this.sink.drain();
      };
      channel.addEventListener('bufferedamountlow', this.#onLow);
    }
  }

  send(frame: Uint8Array): void {
    if (!this.#open) throw new TransportError('channel', 'simple-peer: the pipe is closed');
    if (frame.byteLength > this.maxFrameSize) {
      throw new RangeError(`simple-peer: a frame of ${frame.byteLength} bytes is over the pipe's maxFrameSize of ${this.maxFrameSize}`);
    }
    try {
      this.channel.send(frame);
    } catch (error) {
      // The channel closed under us (the remote's close is on its way): say so plainly.
      throw new TransportError('channel', `simple-peer: the data channel is ${this.channel.readyState}`, { cause: error });
    }
    this.#bufferedBound += frame.byteLength;
    if (!this.#onLow) this.#watchForDrain();
  }

  bufferedAmount(): number {
    return this.#open ? this.#channelBuffered() : 0;
  }

  close(): void {
    this.closePipe();
  }

  /** Stop accepting frames and stop drain detection. Called by the session as it closes. */
  detach(): void {
    this.#open = false;
    if (this.#poll !== undefined) clearInterval(this.#poll);
    this.#poll = undefined;
    if (this.#onLow) this.channel.removeEventListener?.('bufferedamountlow', this.#onLow);
  }

  /** The channel's real buffered amount; refreshes the bound. */
  #channelBuffered(): number {
    this.#bufferedBound = this.channel.bufferedAmount;
    return this.#bufferedBound;
  }

  #watchForDrain(): void {
    if (this.#poll !== undefined || this.#bufferedBound <= this.lowWaterMark || this.#channelBuffered() <= this.lowWaterMark) return;
    this.#poll = setInterval(() => {
      if (this.#channelBuffered() > this.lowWaterMark) return;
      clearInterval(this.#poll);
      this.#poll = undefined;
      if (this.#open) this.sink.drain();
    }, DRAIN_POLL_MS);
  }
}
