/**
 * werift (a WebRTC stack in TypeScript) as a `wrtc`-shaped engine. Chosen with
 * `engine: 'werift'` where @roamhq/wrtc cannot go: TURN over TLS with a server certificate of
 * one's own (`turnTlsCa`), which werift hands to Node's `tls.connect` (its `turnTlsOptions`),
 * where libwebrtc only trusts the roots compiled into it.
 *
 * werift's API is close to the browser's; what simple-peer, PeerJS and the pipe need and it does
 * differently is bridged here, and only that:
 * - `RTCSessionDescription` takes `(sdp, type)`, not `{ type, sdp }`, and its fields are
 *   read-only, while simple-peer rewrites the `sdp` of the description `createOffer` gives it:
 *   descriptions here are plain `{ type, sdp }` objects, as the browser's `init` form.
 * - `getStats(selector)` declares a parameter, which makes simple-peer take it for the old
 *   callback form and never see the selected pair (its `connect` never comes).
 * - Its stats give a relay candidate no `relayProtocol`; the pipe needs it to say how this side
 *   reaches its relay (udp, tcp, tls). It is read from the TURN client that made the candidate.
 *
 * Not bridged: werift gives every peer connection of a process one DTLS certificate (made at the
 * first), where libwebrtc makes one per connection. The binding core makes of the fingerprints
 * still holds (the key never leaves the process), but two werift ends in one process present the
 * same fingerprint, which core's conformance suite refuses. A certificate per connection passed
 * werift's `dtls.keys` (a P-256 certificate made with node:crypto) connected on loopback but
 * failed the DTLS handshake between two lab hosts over TURN/TLS; that was before werift's handshake
 * was repaired for slow paths (werift-dtls.ts), which may have been the reason: not tried since.
 */
import type { WebRtcEngine } from './service';

/** What the adapter reads of the werift module. */
export interface WeriftModule {
  RTCPeerConnection: new (config?: Record<string, unknown>) => WeriftPeerConnection;
  RTCIceCandidate: unknown;
}

interface WeriftPeerConnection {
  createOffer(...args: unknown[]): Promise<{ type: string; sdp: string }>;
  createAnswer(...args: unknown[]): Promise<{ type: string; sdp: string }>;
  getStats(...args: unknown[]): Promise<Map<string, Record<string, unknown>>>;
}

/** The internals the relay protocol is read from: each ICE transport's connection, and its TURN
 * clients (`protocols` with a `turn`), each with the relay candidate it made. Read defensively:
 * if a werift release moves them, the path is still reported, without the protocol. */
interface WeriftInternals {
  iceTransports?: { connection?: { protocols?: { turn?: { transport?: { type?: unknown } }; localCandidate?: { host?: unknown; port?: unknown } }[] } }[];
}

export interface WeriftEngineOptions {
  /** PEM certificate(s) to trust for `turns:` servers, besides Node's own roots. */
  turnTlsCa?: string;
}

/** A plain session description, the browser's `RTCSessionDescriptionInit` shape. */
class SessionDescription {
  readonly type: RTCSdpType;
  sdp: string;
  constructor(init: RTCSessionDescriptionInit) {
    this.type = init.type;
    this.sdp = init.sdp ?? '';
  }
  toJSON(): RTCSessionDescriptionInit {
    return { type: this.type, sdp: this.sdp };
  }
}

const RELAY_PROTOCOLS = new Set(['udp', 'tcp', 'tls']);

/** The werift module as a `wrtc`-shaped engine whose peer connections trust `turnTlsCa`. */
export function weriftEngine(werift: WeriftModule, options: WeriftEngineOptions = {}): WebRtcEngine {
  const tls = options.turnTlsCa ? { turnTlsOptions: { ca: options.turnTlsCa } } : {};
  class PeerConnection extends werift.RTCPeerConnection {
    constructor(config: Record<string, unknown> = {}) {
      // werift's default ICE servers are a public STUN server: only what is configured is used.
      super({ iceServers: [], ...config, ...tls });
    }
    override async createOffer(...args: unknown[]) {
      const { type, sdp } = await super.createOffer(...args);
      return { type, sdp };
    }
    override async createAnswer(...args: unknown[]) {
      const { type, sdp } = await super.createAnswer(...args);
      return { type, sdp };
    }
    override async getStats() {
      const report = await super.getStats();
      const relays = relayProtocols(this as unknown as WeriftInternals);
      report.forEach((stats) => {
        if (stats.type !== 'local-candidate' || stats.candidateType !== 'relay' || stats.relayProtocol) return;
        const protocol = relays.get(`${String(stats.address)}:${String(stats.port)}`);
        if (protocol) stats.relayProtocol = protocol;
      });
      return report;
    }
  }
  return {
    RTCPeerConnection: PeerConnection as unknown as typeof RTCPeerConnection,
    RTCSessionDescription: SessionDescription as unknown as typeof RTCSessionDescription,
    RTCIceCandidate: werift.RTCIceCandidate as typeof RTCIceCandidate,
  };
}

/** "address:port" of each relay candidate → how this side reaches that relay. */
function relayProtocols(pc: WeriftInternals): Map<string, string> {
  const found = new Map<string, string>();
  for (const transport of pc.iceTransports ?? []) {
    for (const protocol of transport.connection?.protocols ?? []) {
      const type = protocol.turn?.transport?.type;
      const candidate = protocol.localCandidate;
      if (typeof type === 'string' && RELAY_PROTOCOLS.has(type) && candidate) found.set(`${String(candidate.host)}:${String(candidate.port)}`, type);
    }
  }
  return found;
}
