/**
 * The simple-peer transport: WebRTC data channels through simple-peer on a Node WebRTC engine.
 * It keeps every live session so `dispose()` can close them all: an open RTCPeerConnection
 * keeps a Node process alive (the engine's threads), so a service must close its peers to exit.
 */
import { TransportError, type Dial, type DialOptions, type SignalCodec, type Transport } from '@whatnext/core';
import type { WebRtcService } from '../webrtc/service';
import { SimplePeerOptions, type SimplePeerOptionsInput } from './options';
import { PeerSession } from './session';
import { DescriptionSignal } from './signals';

export const TRANSPORT_NAME = 'simple-peer';

export class SimplePeerTransport implements Transport {
  readonly name = TRANSPORT_NAME;
  readonly description = 'WebRTC data channel (simple-peer on a Node WebRTC engine); needs raw signals exchanged.';
  readonly options: SimplePeerOptions;
  readonly #live = new Set<PeerSession>();
  #disposed = false;

  /** A complete offer or answer in about 80 bytes (the webrtc plugin's compact descriptions);
   * trickled candidates have no compact form. */
  readonly signalCodec: SignalCodec = {
    compact: (signal) => {
      const description = DescriptionSignal.safeParse(signal);
      return description.success ? this.webrtc.compactDescriptions.compact(description.data) : undefined;
    },
    expand: (bytes) => this.webrtc.compactDescriptions.expand(bytes),
  };

  constructor(
    private readonly webrtc: WebRtcService,
    options: SimplePeerOptionsInput = {},
  ) {
    this.options = SimplePeerOptions.parse(options);
  }

  /** Sessions that have not released their peer connection yet (dialing, open or closing). */
  get liveSessions(): number {
    return this.#live.size;
  }

  dial(options: DialOptions): Dial {
    if (this.#disposed) {
      const pipe = Promise.reject(new TransportError('signaling', 'simple-peer: the transport has been shut down'));
      pipe.catch(() => {});
      return {
        signal: () => {
          throw new TransportError('signaling', 'simple-peer: the transport has been shut down');
        },
        pipe,
      };
    }
    const session = new PeerSession(this.webrtc, this.options, options);
    this.#live.add(session);
    void session.ended.then(() => this.#live.delete(session));
    return { signal: (signal) => session.signal(signal), pipe: session.pipe };
  }

  /**
   * Close every open pipe (a clean close the remote sees as such), fail every pending dial, and
   * resolve once every peer connection is closed. Later dials fail. The plugin runs this on the
   * host's `shutdown` hook.
   */
  async dispose(): Promise<void> {
    this.#disposed = true;
    const sessions = [...this.#live];
    for (const session of sessions) session.shutdown('the transport was shut down');
    await Promise.all(sessions.map((session) => session.ended));
  }
}

/** The transport without a host: `webrtc` is the webrtc plugin's service (its `createWebRtc()`). */
export function createSimplePeerTransport(webrtc: WebRtcService, options: SimplePeerOptionsInput = {}): SimplePeerTransport {
  return new SimplePeerTransport(webrtc, options);
}
