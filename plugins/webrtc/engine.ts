/**
 * The Node WebRTC engine: any object of the `wrtc` shape (RTCPeerConnection,
 * RTCSessionDescription, RTCIceCandidate constructors). `@roamhq/wrtc` is the default, loaded
 * on first use: importing or registering a WebRTC plugin loads no native code.
 */
import { createRequire } from 'node:module';
import type { WebRtcEngine } from './service';

export const DEFAULT_ENGINE_MODULE = '@roamhq/wrtc';

/** Whether `value` has the `wrtc` shape (the three constructors). */
export function isWebRtcEngine(value: unknown): value is WebRtcEngine {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const engine = value as Record<string, unknown>;
  return typeof engine.RTCPeerConnection === 'function' && typeof engine.RTCSessionDescription === 'function' && typeof engine.RTCIceCandidate === 'function';
}

let defaultEngine: WebRtcEngine | undefined;

/** Load (once per process) the default engine. Throws with the reason if it is missing or has
 * the wrong shape. Synchronous (a CommonJS native addon, through `createRequire`), so that a
 * transport's `dial()` can stay synchronous: signals may be delivered right after it returns. */
export function loadDefaultEngine(): WebRtcEngine {
  if (defaultEngine) return defaultEngine;
  const required = createRequire(import.meta.url)(DEFAULT_ENGINE_MODULE) as unknown;
  const engine = isWebRtcEngine(required) ? required : (required as { default?: unknown } | undefined)?.default;
  if (!isWebRtcEngine(engine)) throw new Error(`${DEFAULT_ENGINE_MODULE} does not export RTCPeerConnection, RTCSessionDescription and RTCIceCandidate`);
  defaultEngine = engine;
  return engine;
}
