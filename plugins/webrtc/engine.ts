/**
 * The Node WebRTC engine: any object of the `wrtc` shape (RTCPeerConnection,
 * RTCSessionDescription, RTCIceCandidate constructors). `@roamhq/wrtc` is the default; `werift`
 * can be chosen by name. Either is loaded on first use: importing or registering a WebRTC plugin
 * loads no engine.
 */
import { createRequire } from 'node:module';
import type { WebRtcEngine } from './service';
import { weriftEngine, type WeriftEngineOptions, type WeriftModule } from './werift';
import { repairWeriftDtls } from './werift-dtls';

export const DEFAULT_ENGINE_MODULE = '@roamhq/wrtc';
export const WERIFT_MODULE = 'werift';
/** The engines the `engine` option names. */
export const ENGINE_NAMES = ['wrtc', 'werift'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

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

let werift: WeriftModule | undefined;
/** The last adapted engine and the CA it trusts: a connection reads its engine at each dial. */
let weriftEngineFor: { ca: string; engine: WebRtcEngine } | undefined;

/** Load (once per process) werift, repair its DTLS handshake for slow paths (werift-dtls.ts)
 * and adapt it (werift.ts), its peer connections trusting `turnTlsCa` for `turns:` servers.
 * Synchronous too (its CommonJS build). Throws with the reason if it is missing. */
export function loadWeriftEngine(options: WeriftEngineOptions = {}): WebRtcEngine {
  const ca = options.turnTlsCa ?? '';
  if (weriftEngineFor?.ca === ca) return weriftEngineFor.engine;
  if (!werift) {
    const require = createRequire(import.meta.url);
    const required = require(WERIFT_MODULE) as Partial<WeriftModule> | undefined;
    if (typeof required?.RTCPeerConnection !== 'function' || typeof required.RTCIceCandidate !== 'function')
      throw new Error(`${WERIFT_MODULE} does not export RTCPeerConnection and RTCIceCandidate`);
    repairWeriftDtls(require.resolve(WERIFT_MODULE));
    werift = required as WeriftModule;
  }
  const engine = weriftEngine(werift, options);
  weriftEngineFor = { ca, engine };
  return engine;
}
