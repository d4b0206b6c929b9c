/**
 * One session on one MQTT broker: connected (MQTT.js reconnects by itself, every
 * `RECONNECT_MS`, so we are back about that long after the broker returns), subscribed to our
 * inbox, publishing to others'. Signals go at QoS 1 and are never retained: a peer that is not
 * online when an offer is sent does not find a stale one later.
 */
import { randomBytes } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import { TransportError, describe } from '@whatnext/core';
import { MAX_PAYLOAD_BYTES } from './messages';

export const RECONNECT_MS = 1000;
/** The largest packet we take: a payload of the largest size read, with room for the topic and
 * the headers around it. */
export const MAX_PACKET_BYTES = MAX_PAYLOAD_BYTES + 4096;
/** A broker that accepts the TCP connection but never answers CONNECT is given up this soon. */
export const CONNECT_TIMEOUT_MS = 5000;

export interface BrokerSessionOptions {
  url: string;
  username?: string;
  password?: string;
  /** The topic we subscribe to. */
  inbox: string;
  message(payload: Uint8Array): void;
  /** The session is (again) connected and subscribed, or lost that with `error`; `final`: the
   * broker refused our subscription, which trying again will not change. */
  state?(connected: boolean, error?: string, final?: boolean): void;
  log(level: 'debug' | 'info' | 'warn', message: string): void;
}

export class BrokerSession {
  readonly url: string;
  #client: MqttClient;
  #ready = false;
  #lastError: string | undefined;
  #waiters = new Set<{ resolve(): void; reject(error: Error): void }>();
  #closed = false;

  constructor(private readonly options: BrokerSessionOptions) {
    this.url = options.url;
    // A random client id: a peer's id in it would let anyone who knows the id take the session over.
    this.#client = connect(options.url, {
      clientId: `whatnext_${randomBytes(12).toString('base64url')}`,
      ...(options.username !== undefined && { username: options.username }),
      ...(options.password !== undefined && { password: options.password }),
      // MQTT 5, for the maximum packet size: a compliant broker then never sends us a larger
      // message (MQTT.js would buffer up to 256 MiB of one before we could look at its size).
      protocolVersion: 5,
      properties: { maximumPacketSize: MAX_PACKET_BYTES },
      clean: true,
      resubscribe: false,
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
    });
    this.#client.on('connect', () => {
      // Signals are small and several go back to back (a description, then each candidate):
      // Nagle's algorithm would hold each behind the broker's acknowledgement of the last.
      (this.#client.stream as { setNoDelay?(noDelay: boolean): void } | undefined)?.setNoDelay?.(true);
      void this.#subscribe();
    });
    this.#client.on('message', (_topic, payload) => {
      if (_topic === options.inbox) options.message(payload);
    });
    this.#client.on('error', (error) => {
      this.#lastError = describe(error);
      options.log('debug', `MQTT broker ${this.url}: ${this.#lastError}`);
    });
    this.#client.on('close', () => this.#lost());
    this.#client.on('offline', () => this.#lost());
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves once connected and subscribed; rejects if the attempt under way fails (or the
   * next one, when none is), or on `abort`. */
  whenReady(abort?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new TransportError('signaling', 'The MQTT session is closed.'));
    if (this.#ready) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(waiter);
        reject(new TransportError('signaling', `Gave up waiting for the MQTT broker at ${this.url}.`, { cause: abort?.reason }));
      };
      const waiter = {
        resolve: () => (abort?.removeEventListener('abort', onAbort), resolve()),
        reject: (error: Error) => (abort?.removeEventListener('abort', onAbort), reject(error)),
      };
      if (abort?.aborted) return onAbort();
      abort?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** QoS 0: sessions are clean and nothing is retained, so QoS 1 would add only the broker's
   * acknowledgement, and on a broker that leaves Nagle's algorithm on (Mosquitto's default) a
   * signal sent right after that acknowledgement waits for our delayed ACK (tens of ms per
   * connect). A signal lost with the broker's TCP connection is an attempt that times out, as it
   * would be at QoS 1 with clean sessions. */
  async publish(topic: string, payload: string): Promise<void> {
    try {
      await this.#client.publishAsync(topic, payload, { qos: 0, retain: false });
    } catch (cause) {
      throw new TransportError('signaling', `Could not send through the MQTT broker at ${this.url}: ${describe(cause)}`, { cause });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#settle(new TransportError('signaling', 'The MQTT session is closed.'));
    await this.#client.endAsync(true);
    this.#client.removeAllListeners();
    this.#client.on('error', () => undefined); // a late socket error must not be unhandled
  }

  async #subscribe(): Promise<void> {
    try {
      const granted = await this.#client.subscribeAsync(this.options.inbox, { qos: 1 });
      // SUBACK 0x80: the broker refused (an ACL).
      if (granted.some((grant) => grant.qos === 128)) throw new Error(`the broker refused a subscription to ${this.options.inbox}`);
    } catch (error) {
      if (this.#closed) return;
      this.#lastError = describe(error);
      this.options.log('warn', `MQTT broker ${this.url}: ${this.#lastError}`);
      this.options.state?.(false, this.#lastError, true);
      this.#settle(new TransportError('signaling', `The MQTT broker at ${this.url} refused us: ${this.#lastError}`));
      return;
    }
    if (this.#closed || !this.#client.connected) return;
    this.#ready = true;
    this.#lastError = undefined;
    this.options.log('info', `subscribed on the MQTT broker at ${this.url}`);
    this.options.state?.(true);
    this.#settle();
  }

  #lost(): void {
    if (this.#closed) return;
    const was = this.#ready;
    this.#ready = false;
    const why = this.#lastError ?? 'the connection closed';
    if (was) this.options.log('warn', `lost the MQTT broker at ${this.url}: ${why}`);
    this.options.state?.(false, why);
    this.#settle(new TransportError('signaling', `Could not reach the MQTT broker at ${this.url}: ${why}.`));
  }

  #settle(error?: Error): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }
}
