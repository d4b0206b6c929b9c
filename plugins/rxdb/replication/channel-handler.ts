/**
 * RxDB's `WebRTCConnectionHandler` on a core connection channel. RxDB's replicateWebRTC runs
 * its own protocol (token handshake, masterChangesSince, masterWrite, change stream) through
 * this object and never learns what carries it: WebRTC, PeerJS, the in-memory transport.
 *
 * One handler serves one remote peer for one collection; the lane (lane.ts) owns the channel
 * subscription and hands messages in with `deliver`.
 */
import { Subject } from 'rxjs';
import type { RxError, RxTypeError } from 'rxdb';
import type { PeerWithMessage, PeerWithResponse, WebRTCConnectionHandler, WebRTCMessage, WebRTCResponse } from 'rxdb/plugins/replication-webrtc';

/** The remote peer as RxDB's pool sees it. A fresh object per pool, so a restarted pool never
 * mistakes state of the previous one for its own. */
export interface RemotePeer {
  readonly id: string;
}

export type RxdbWireMessage = WebRTCMessage | WebRTCResponse;

export function isRequest(message: RxdbWireMessage): message is WebRTCMessage {
  return typeof (message as WebRTCMessage).method === 'string';
}

export class ChannelConnectionHandler implements WebRTCConnectionHandler<RemotePeer> {
  readonly connect$ = new Subject<RemotePeer>();
  readonly disconnect$ = new Subject<RemotePeer>();
  readonly message$ = new Subject<PeerWithMessage<RemotePeer>>();
  readonly response$ = new Subject<PeerWithResponse<RemotePeer>>();
  readonly error$ = new Subject<RxError | RxTypeError>();
  #closed = false;

  constructor(
    readonly peer: RemotePeer,
    private readonly transmit: (message: RxdbWireMessage) => Promise<void>,
  ) {}

  /** The peer is reachable: RxDB starts its handshake. */
  open(): void {
    if (!this.#closed) this.connect$.next(this.peer);
  }

  /** A message from the remote. */
  deliver(message: RxdbWireMessage): void {
    if (this.#closed) return;
    if (isRequest(message)) this.message$.next({ peer: this.peer, message });
    else this.response$.next({ peer: this.peer, response: message });
  }

  /** After `close`, answers still go out (the lane passes on what the old pool left
   * unanswered); new requests do not. */
  async send(peer: RemotePeer, message: RxdbWireMessage): Promise<void> {
    if (peer !== this.peer || (this.#closed && isRequest(message))) throw new Error('this replication handler is closed');
    await this.transmit(message);
  }

  /** Pending requests fail at once ("peer disconnected") instead of waiting for their timeout. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.disconnect$.next(this.peer);
    this.#closed = true;
    for (const subject of [this.connect$, this.disconnect$, this.message$, this.response$, this.error$]) subject.complete();
  }
}
