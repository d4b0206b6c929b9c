/**
 * simple-peer: the WebRTC transport plugin. A data channel through simple-peer, for signaling
 * methods that move raw signals (manual copy-paste, any signaling server). The engine, the ICE
 * servers and the pipe are the webrtc plugin's, a dependency:
 *
 *   defineConfig({ plugins: [webrtc(), simplePeer(), manual()] })
 *
 * See README.md for the options, the non-trickle gathering and clean exit.
 */
import { definePlugin } from '@whatnext/core';
import type { WebRtcService } from '../webrtc/service';
import { SimplePeerOptions } from './options';
import { SimplePeerTransport } from './transport';

export const simplePeer = definePlugin({
  name: 'simple-peer',
  version: '1.0.0',
  api: '^2.0.0',
  description: 'WebRTC data channel transport (simple-peer on a Node WebRTC engine).',
  options: SimplePeerOptions,
  advancedOptions: ['maxFrameSize', 'gatherTimeoutMs'],
  dependencies: ['webrtc'],
  setup(ctx, options) {
    const transport = new SimplePeerTransport(ctx.use<WebRtcService>('webrtc'), options);
    ctx.registerTransport(transport);
    // Open peer connections keep the process alive: close them all when the host stops.
    ctx.hooks.shutdown.tapPromise(() => transport.dispose());
  },
});

export { SimplePeerOptions, type SimplePeerOptionsInput } from './options';
export { SimplePeerTransport, createSimplePeerTransport, TRANSPORT_NAME } from './transport';
export { WireSignal, parseSignal } from './signals';
