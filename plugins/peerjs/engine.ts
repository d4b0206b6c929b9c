/**
 * The engine's RTCPeerConnection as the plugin's PeerJS copy gets it (peerjs-client.ts): every
 * connection tracked until closed (an open one keeps a Node process alive), one made ahead of
 * need, the descriptions each one makes heard, and a remote candidate's refusal kept from PeerJS.
 */
import type { WebRtcEngine } from '../webrtc/service';

/** A spare older than this is not handed out (it is closed when next needed or replaced): its
 * DTLS certificate ages (libwebrtc's last 30 days), and nothing is gained by keeping one long. */
export const SPARE_MAX_AGE_MS = 60 * 60 * 1000;

/** The engine's peer connections as one plugin instance's PeerJS copy sees them. */
export interface TrackedPeerConnections {
  /** The class PeerJS constructs. */
  readonly RTCPeerConnection: typeof RTCPeerConnection;
  /** Every connection handed out and not yet closed (shutdown closes whatever is left: an open
   * native peer connection keeps a Node process alive). */
  readonly open: ReadonlySet<RTCPeerConnection>;
  /** Make a connection for `config` ahead of need, unless a fresh one is ready: the next
   * `new RTCPeerConnection(config)` with an equal configuration gets it. Constructing one blocks
   * the thread on the engine (longer while other connections negotiate) and starts its DTLS
   * certificate: made ahead, that is off the way of the next connection. Throws what the engine
   * throws. */
  prepare(config: RTCConfiguration): void;
  /** Close the spare, if any (nothing will need it soon). */
  discardSpare(): void;
  /** Close every connection, the spare too; `prepare` does nothing from then on. */
  closeAll(): void;
  /** Hear each description `pc` creates (`createOffer`, `createAnswer`) as soon as the engine
   * has made it, before PeerJS goes on to apply and send it. */
  onLocalDescription(pc: RTCPeerConnection, listener: (sdp: string) => void): void;
}

/** Which constructions a spare may stand in for: one plain configuration (compared as JSON).
 * Certificates are objects JSON cannot tell apart, so a configuration naming any gets its own. */
function spareKey(args: readonly unknown[]): string | undefined {
  const [config] = args;
  if (args.length !== 1 || typeof config !== 'object' || config === null || 'certificates' in config) return undefined;
  return JSON.stringify(config);
}

interface Spare {
  key: string;
  pc: RTCPeerConnection;
  made: number;
}

function closeQuietly(pc: RTCPeerConnection): void {
  try {
    pc.close();
  } catch {
    // already closing
  }
}

/**
 * Wraps the engine's RTCPeerConnection so that every connection PeerJS creates is tracked until
 * it is closed, a spare made by `prepare` is handed out first, the descriptions each
 * connection creates can be heard (`onLocalDescription`), and a remote candidate the engine
 * refuses goes to `candidateRefused` (if its connection is still open) instead of to PeerJS.
 */
export function trackPeerConnections(engine: WebRtcEngine, candidateRefused: (error: unknown) => void = () => {}): TrackedPeerConnections {
  const Base = engine.RTCPeerConnection;
  const open = new Set<RTCPeerConnection>();
  const describing = new WeakMap<RTCPeerConnection, (sdp: string) => void>();
  let spare: Spare | undefined;
  let closed = false;

  const fresh = (candidate: Spare) => Date.now() - candidate.made <= SPARE_MAX_AGE_MS;

  const discardSpare = () => {
    if (spare) closeQuietly(spare.pc);
    spare = undefined;
  };

  const takeSpare = (key: string | undefined): RTCPeerConnection | undefined => {
    if (key === undefined || spare?.key !== key) return undefined;
    const taken = spare;
    spare = undefined;
    if (fresh(taken)) return taken.pc;
    closeQuietly(taken.pc);
    return undefined;
  };

  const track = (pc: RTCPeerConnection): RTCPeerConnection => {
    open.add(pc);
    const close = pc.close;
    pc.close = function (this: RTCPeerConnection) {
      open.delete(pc);
      return close.call(this);
    };
    const addIceCandidate = pc.addIceCandidate as (...args: unknown[]) => Promise<void>;
    pc.addIceCandidate = function (this: RTCPeerConnection, ...args: unknown[]) {
      // PeerJS 1.5.5's handler for a rejection here reads the connection's provider, which its
      // close() clears, and throws out of a promise nobody awaits: an unhandled rejection, fatal
      // to a Node process, whenever the connection closes before that handler runs. All it
      // would do otherwise is report the refusal as a peer error; so the refusal ends here.
      // The engine may also throw at once rather than reject (a connection closed under it).
      let added: Promise<void>;
      try {
        added = addIceCandidate.apply(this, args);
      } catch (error) {
        added = Promise.reject(error);
      }
      return added.catch((error: unknown) => {
        if (open.has(pc) && pc.signalingState !== 'closed') candidateRefused(error);
      });
    } as RTCPeerConnection['addIceCandidate'];
    for (const method of ['createOffer', 'createAnswer'] as const) {
      const create = pc[method] as (...args: unknown[]) => Promise<RTCSessionDescriptionInit>;
      pc[method] = function (this: RTCPeerConnection, ...args: unknown[]) {
        const made = create.apply(this, args);
        // Heard first: PeerJS's own continuation comes after this one.
        void made.then(
          (description) => description?.sdp && describing.get(pc)?.(description.sdp),
          () => undefined,
        );
        return made;
      } as RTCPeerConnection[typeof method];
    }
    return pc;
  };

  const proxy: typeof RTCPeerConnection = new Proxy(Base, {
    construct(target, args, newTarget) {
      // A subclass of ours gets an instance of itself, never the spare.
      const ours = newTarget === proxy;
      const ready = ours ? takeSpare(spareKey(args)) : undefined;
      return track(ready ?? (Reflect.construct(target, args, ours ? target : newTarget) as RTCPeerConnection));
    },
  });

  return {
    RTCPeerConnection: proxy,
    open,
    prepare(config) {
      const key = spareKey([config]);
      if (closed || key === undefined || (spare && spare.key === key && fresh(spare))) return;
      discardSpare();
      spare = { key, pc: new Base(config), made: Date.now() };
    },
    discardSpare,
    closeAll() {
      closed = true;
      discardSpare();
      for (const pc of [...open]) closeQuietly(pc);
    },
    onLocalDescription: (pc, listener) => void describing.set(pc, listener),
  };
}
