/**
 * The WebRTC engine PeerJS runs on. Node has no WebRTC, so the plugin takes an engine object
 * (the same shape as the simple-peer plugin's): `RTCPeerConnection`, `RTCSessionDescription`
 * and `RTCIceCandidate` constructors. The default is `@roamhq/wrtc`, loaded on first use so a
 * host that never connects through PeerJS never loads the native module.
 */
import { z } from 'zod';
import { TransportError, describe } from '../../core';

export interface WebRtcEngine {
  RTCPeerConnection: typeof RTCPeerConnection;
  RTCSessionDescription: typeof RTCSessionDescription;
  RTCIceCandidate: typeof RTCIceCandidate;
}

const isConstructor = (value: unknown): boolean => typeof value === 'function';

/** Options schema for an injected engine: checked by shape, kept by reference. */
export const WebRtcEngineOption = z.custom<WebRtcEngine>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    isConstructor((value as Record<string, unknown>).RTCPeerConnection) &&
    isConstructor((value as Record<string, unknown>).RTCSessionDescription) &&
    isConstructor((value as Record<string, unknown>).RTCIceCandidate),
  { message: 'an engine is an object with the RTCPeerConnection, RTCSessionDescription and RTCIceCandidate constructors' },
);

let defaultEngine: Promise<WebRtcEngine> | undefined;

/** `@roamhq/wrtc`, imported once per process on first call. */
export function loadDefaultEngine(): Promise<WebRtcEngine> {
  defaultEngine ??= import('@roamhq/wrtc').then(
    (module) => {
      const wrtc = ((module as { default?: unknown }).default ?? module) as WebRtcEngine;
      return {
        RTCPeerConnection: wrtc.RTCPeerConnection,
        RTCSessionDescription: wrtc.RTCSessionDescription,
        RTCIceCandidate: wrtc.RTCIceCandidate,
      };
    },
    (cause: unknown) => {
      defaultEngine = undefined;
      throw new TransportError('signaling', `could not load the WebRTC engine @roamhq/wrtc: ${describe(cause)}`, { cause });
    },
  );
  return defaultEngine;
}

/**
 * Wraps the engine's RTCPeerConnection so that every connection PeerJS creates is recorded in
 * `open` until it is closed (shutdown closes whatever is left: an open native peer connection
 * keeps a Node process alive), and `described(pc, sdp)` hears each description it creates
 * (`createOffer`, `createAnswer`) before PeerJS goes on to apply and send it.
 */
export function trackPeerConnections(
  engine: WebRtcEngine,
  open: Set<RTCPeerConnection>,
  described: (pc: RTCPeerConnection, sdp: string) => void = () => {},
): typeof RTCPeerConnection {
  const Base = engine.RTCPeerConnection;
  const proxy: typeof RTCPeerConnection = new Proxy(Base, {
    construct(target, args, newTarget) {
      const pc = Reflect.construct(target, args, newTarget === proxy ? target : newTarget) as RTCPeerConnection;
      open.add(pc);
      const close = pc.close;
      pc.close = function (this: RTCPeerConnection) {
        open.delete(pc);
        return close.call(this);
      };
      for (const method of ['createOffer', 'createAnswer'] as const) {
        const create = pc[method] as (...args: unknown[]) => Promise<RTCSessionDescriptionInit>;
        pc[method] = function (this: RTCPeerConnection, ...args: unknown[]) {
          const made = create.apply(this, args);
          // Heard first: PeerJS's own continuation comes after this one.
          void made.then(
            (description) => description?.sdp && described(pc, description.sdp),
            () => undefined,
          );
          return made;
        } as RTCPeerConnection[typeof method];
      }
      return pc;
    },
  });
  return proxy;
}
