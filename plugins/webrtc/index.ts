/**
 * webrtc: what every WebRTC plugin shares, as a service (`ctx.use<WebRtcService>('webrtc')` in
 * a plugin that lists it in `dependencies`): the engine, the ICE servers (live: a change in
 * settings applies to the next peer connection), and the one data-channel pipe.
 *
 *   webrtc()                                                    loopback / LAN: no STUN needed
 *   webrtc({ iceServers: [{ urls: 'stun:stun.example.org:3478' }] })
 *   webrtc({ engine: 'werift', turnTlsCa: pem })                TURN over TLS with a CA of your own
 *   webrtc({ engine: myWrtcShapedEngine })
 *
 * See README.md.
 */
import { networkInterfaces } from 'node:os';
import { definePlugin } from '@whatnext/core';
import { compactDescription, expandDescription } from './compact-description';
import { loadDefaultEngine, loadWeriftEngine } from './engine';
import { WebRtcOptions, type WebRtcOptionsInput } from './options';
import { DataChannelPipe } from './pipe';
import type { DataChannelPipeOptions, WebRtcEngine, WebRtcService } from './service';

/** The service, for use without a host too (tests, benchmarks); `configure` applies new
 * options (the plugin does on `optionsChanged`). */
export class WebRtc implements WebRtcService {
  #options: WebRtcOptions;

  constructor(options: WebRtcOptionsInput = {}) {
    this.#options = WebRtcOptions.parse(options);
  }

  configure(options: WebRtcOptions): void {
    this.#options = options;
  }

  engine(): WebRtcEngine {
    const { engine, turnTlsCa } = this.#options;
    if (engine === 'werift') return loadWeriftEngine(turnTlsCa === undefined ? {} : { turnTlsCa });
    return engine === undefined || engine === 'wrtc' ? loadDefaultEngine() : engine;
  }

  configuration(): RTCConfiguration {
    return { iceServers: this.#options.iceServers };
  }

  readonly compactDescriptions = { compact: compactDescription, expand: expandDescription };

  pipe(options: DataChannelPipeOptions): DataChannelPipe {
    return new DataChannelPipe({ iceServers: this.#options.iceServers, localAddresses, ...options });
  }
}

/** Every address of this machine's interfaces, now. */
function localAddresses(): ReadonlySet<string> {
  return new Set(
    Object.values(networkInterfaces())
      .flat()
      .flatMap((info) => (info ? [info.address] : [])),
  );
}

export function createWebRtc(options: WebRtcOptionsInput = {}): WebRtc {
  return new WebRtc(options);
}

export const webrtc = definePlugin({
  name: 'webrtc',
  version: '1.0.0',
  api: '^2.0.0',
  description: 'WebRTC for the WebRTC plugins: the engine, the ICE servers, and the data-channel pipe.',
  options: WebRtcOptions,
  // The ICE servers are read at each new peer connection (`configure` below); the engine (and its
  // CA) is kept by PeerJS from its first use, so a change applies after a restart.
  liveOptions: ['iceServers'],
  advancedOptions: ['engine', 'turnTlsCa'],
  setup(ctx, options) {
    const service = new WebRtc(options);
    ctx.provide(service);
    // Validated by the host against the same schema.
    ctx.hooks.optionsChanged.for(ctx.name).tap((next) => service.configure(next as WebRtcOptions));
  },
});

export { WebRtcOptions, IceServer, iceUrlProblem, isTurnUrl, turnTlsCaProblem, TURN_TLS_CA_MAX, type WebRtcOptionsInput } from './options';
export { explainNoPath, ICE_SERVERS_SETTING, type IceCandidateError, type IceFindings, type NoPathCause } from './no-path';
export { isWebRtcEngine, loadDefaultEngine, loadWeriftEngine, DEFAULT_ENGINE_MODULE, WERIFT_MODULE, ENGINE_NAMES, type EngineName } from './engine';
export { weriftEngine, type WeriftEngineOptions } from './werift';
export { webRtcBinding, webRtcMaxMessageSize } from './sdp';
export {
  DataChannelPipe,
  WEBRTC_ANSWERER_READY,
  isWebRtcAnswererReady,
  LOW_WATER_MARK,
  CHANNEL_BUFFER_LIMIT,
  DRAIN_POLL_MS,
  STATE_POLL_MS,
  ICE_CHECK_LIMIT_MS,
  PATH_POLL_MS,
} from './pipe';
export type { WebRtcEngine, WebRtcService, ChannelLike, DataChannelPipeOptions, DataChannelPipeState } from './service';
