/**
 * simple-peer: the WebRTC transport plugin. A data channel through simple-peer on an
 * injectable Node WebRTC engine (default @roamhq/wrtc, loaded on the first dial), for
 * signalling methods that move raw signals (manual copy-paste, any signalling server).
 *
 *   simplePeer()                                    loopback / LAN: no STUN needed
 *   simplePeer({ iceServers: [{ urls: 'stun:stun.example.org:3478' }] })
 *   simplePeer({ engine: myWrtcShapedEngine })
 *
 * See README.md for the options, the non-trickle gathering and clean exit.
 */
import { definePlugin } from '../../core';
import { SimplePeerOptions } from './options';
import { SimplePeerTransport } from './transport';

export const simplePeer = definePlugin({
  name: 'simple-peer',
  version: '1.0.0',
  api: '^1.0.0',
  description: 'WebRTC data channel transport (simple-peer on a Node WebRTC engine).',
  options: SimplePeerOptions,
  setup(ctx, options) {
    const transport = new SimplePeerTransport(options);
    ctx.registerTransport(transport);
    // Open peer connections keep the process alive: close them all when the host stops.
    ctx.hooks.shutdown.tapPromise(() => transport.dispose());
  },
});

export { SimplePeerOptions, IceServer, type SimplePeerOptionsInput } from './options';
export { SimplePeerTransport, createSimplePeerTransport, TRANSPORT_NAME } from './transport';
export { isWebRtcEngine, loadDefaultEngine, DEFAULT_ENGINE_MODULE, type WebRtcEngine } from './engine';
export { WireSignal, parseSignal } from './signals';
export { LOW_WATER_MARK } from './pipe';
