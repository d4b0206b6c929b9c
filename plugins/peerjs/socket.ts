/**
 * The `WebSocket` the private PeerJS copy gets: a `ws` client dressed in the small part of the
 * browser WebSocket API PeerJS uses (`onopen`, `onmessage`, `onclose`, `readyState`, `send`,
 * `close`), with a checkpoint on the way in. Every message from the broker is size-bounded,
 * parsed and handed to the owning session, which decides whether PeerJS sees it (and may hold
 * it back to deliver later). Nothing the broker or a remote sends can throw inside `ws`'s event
 * handler, which would otherwise surface as an uncaught exception. What PeerJS sends goes out
 * as it is: nothing reads it.
 *
 * PeerJS builds the socket itself (`new WebSocket(url)`), so the socket finds its session
 * through the `token` query parameter: every session registers a fresh random token and passes
 * it to PeerJS as the `token` option.
 */
import { networkInterfaces } from 'node:os';
import WebSocket from 'ws';
import { describe } from '@whatnext/core';
import { BrokerMessage } from './messages';

/** The largest broker message accepted. PeerJS messages are small JSON (a data-only SDP is
 * about 1 KiB); this bounds what a hostile broker can make us buffer. */
export const MAX_BROKER_MESSAGE = 64 * 1024;
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** An open socket is pinged this often (a WebSocket ping, which the broker's `ws` answers by
 * itself; PeerJS's own HEARTBEAT gets no reply)... */
export const BROKER_PING_MS = 1000;
/** ...and dropped after this long without a pong or a message. A socket whose path died (the link
 * went down, the host's address changed) otherwise looks open for as long as TCP retransmits
 * (many minutes): no registration is lost, and requests sent to it vanish. Dropped, PeerJS reports
 * the registration lost and the method re-registers, same id and token, as soon as the broker
 * answers. */
export const BROKER_SILENCE_MS = 5000;
/** The socket's local address is checked this often: a host that moved drops it (and registers
 * again from its new address) within this, not at the next ping. */
export const ADDRESS_CHECK_MS = 250;

export interface SocketOwner {
  /** One parsed broker message: return true to hand it to PeerJS now. */
  inbound(message: BrokerMessage): boolean;
  /** The socket to the broker failed (unreachable, refused, TLS, protocol error). */
  failed(error: Error): void;
  attach(socket: BrokerSocket): void;
  /** The socket is open (PeerJS is told next). */
  opened?(socket: BrokerSocket): void;
  log(level: 'debug' | 'warn', message: string): void;
}

export interface BrokerSocket {
  /** Hand a message to PeerJS as if it had just arrived. */
  deliver(message: BrokerMessage): void;
  /** Send a message of ours to the broker (PeerJS's own go through `send`). */
  sendMessage(message: BrokerMessage): void;
  /** Drop the connection at once (no closing handshake). */
  terminate(): void;
  /** Resolves once the underlying TCP socket is closed. */
  readonly closed: Promise<void>;
}

type Handler = ((event: unknown) => void) | null;

/** Whether `address` is one of this machine's own now (a socket from one that went is dead). */
function ownAddress(address: string): boolean {
  const bare = address.replace(/^::ffff:/, '');
  return Object.values(networkInterfaces()).some((infos) => infos?.some((info) => info.address === bare));
}

export function createSocketClass(owners: ReadonlyMap<string, SocketOwner>, live: Set<BrokerSocket>) {
  return class PeerJsSocket implements BrokerSocket {
    onopen: Handler = null;
    onmessage: Handler = null;
    onclose: Handler = null;
    onerror: Handler = null;
    readonly #ws: WebSocket;
    readonly #owner: SocketOwner;
    #closedByUs = false;
    #heard = 0;
    /** The address the socket runs from (its TCP connection's local end). */
    #localAddress: string | undefined;
    #pinger: ReturnType<typeof setInterval> | undefined;
    readonly closed: Promise<void>;

    constructor(url: string) {
      const token = new URL(url).searchParams.get('token') ?? '';
      const owner = owners.get(token);
      if (!owner) throw new Error('no session owns this PeerJS socket');
      this.#owner = owner;
      this.#ws = new WebSocket(url, { maxPayload: MAX_BROKER_MESSAGE, handshakeTimeout: HANDSHAKE_TIMEOUT_MS, perMessageDeflate: false });
      live.add(this);
      owner.attach(this);
      // `ws` throws an 'error' without a listener; PeerJS never sets onerror.
      this.#ws.on('error', (error) => {
        if (!this.#closedByUs) owner.failed(error);
      });
      this.#ws.on('open', () => {
        this.#watchSilence();
        try {
          owner.opened?.(this);
        } catch (error) {
          owner.log('warn', `could not handle the broker socket opening: ${describe(error)}`);
        }
        this.#call(this.onopen, { type: 'open' });
      });
      this.#ws.on('pong', () => (this.#heard = Date.now()));
      this.#ws.on('upgrade', (response) => (this.#localAddress = response.socket.localAddress));
      let markClosed!: () => void;
      this.closed = new Promise((resolve) => (markClosed = resolve));
      this.#ws.on('close', (code, reason) => {
        clearInterval(this.#pinger);
        live.delete(this);
        markClosed();
        this.#call(this.onclose, { type: 'close', code, reason: reason.toString() });
      });
      this.#ws.on('message', (data, isBinary) => this.#receive(data, isBinary));
    }

    #watchSilence(): void {
      this.#heard = Date.now();
      let tick = Date.now();
      let pinged = Date.now();
      this.#pinger = setInterval(() => {
        const now = Date.now();
        // A thread that was busy (timers late) has not read the pongs yet: not the network's fault.
        if (now - tick > 2 * BROKER_PING_MS) this.#heard = now;
        tick = now;
        if (this.#ws.readyState !== WebSocket.OPEN) return;
        const moved = this.#localAddress !== undefined && !ownAddress(this.#localAddress);
        if (moved || now - this.#heard > BROKER_SILENCE_MS) {
          clearInterval(this.#pinger);
          const why = moved ? `this machine no longer has the address ${this.#localAddress}` : `the broker answered nothing for ${BROKER_SILENCE_MS / 1000} s`;
          this.#owner.log('debug', `${why}: dropping the socket`);
          // Not ours to close: PeerJS is to see the socket lost, as when the broker goes.
          this.#ws.terminate();
          return;
        }
        if (now - pinged < BROKER_PING_MS) return;
        pinged = now;
        this.#ws.ping();
      }, ADDRESS_CHECK_MS);
      this.#pinger.unref?.();
    }

    get readyState(): number {
      return this.#ws.readyState;
    }

    /** PeerJS's own messages. */
    send(data: string): void {
      this.#write(data);
    }

    sendMessage(message: BrokerMessage): void {
      this.#write(JSON.stringify(message));
    }

    #write(data: string): void {
      if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(data);
    }

    close(): void {
      this.#closedByUs = true;
      // A socket still connecting has nothing to close gracefully.
      if (this.#ws.readyState === WebSocket.CONNECTING) this.terminate();
      else this.#ws.close();
    }

    terminate(): void {
      this.#closedByUs = true;
      this.#ws.terminate();
    }

    deliver(message: BrokerMessage): void {
      this.#deliverText(JSON.stringify(message));
    }

    #deliverText(text: string): void {
      this.#call(this.onmessage, { type: 'message', data: text });
    }

    #receive(data: WebSocket.RawData, isBinary: boolean): void {
      this.#heard = Date.now();
      let message: BrokerMessage;
      const text = data.toString();
      try {
        if (isBinary) throw new Error('binary frame');
        const parsed = BrokerMessage.safeParse(JSON.parse(text));
        if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'malformed');
        message = parsed.data;
      } catch (error) {
        this.#owner.log('warn', `ignored a malformed message from the broker: ${describe(error)}`);
        return;
      }
      let pass = false;
      try {
        pass = this.#owner.inbound(message);
      } catch (error) {
        this.#owner.log('warn', `could not handle a ${message.type} message from the broker: ${describe(error)}`);
      }
      // Checked, so PeerJS may read the text as it came (no second serialisation).
      if (pass) this.#deliverText(text);
    }

    #call(handler: Handler, event: unknown): void {
      if (!handler) return;
      try {
        handler.call(this, event);
      } catch (error) {
        this.#owner.log('warn', `PeerJS failed handling a broker event: ${describe(error)}`);
      }
    }
  };
}
