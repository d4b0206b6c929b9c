/**
 * WhatNext plugin: signaling through a PeerJS broker, with the PeerJS data connection as the
 * transport. The engine, the ICE servers and the pipe are the webrtc plugin's, a dependency.
 * See README.md.
 *
 *   defineConfig({ plugins: [webrtc(), peerjs({ host: '127.0.0.1', port: 9000, path: '/whatnext' })] })
 */
import { definePlugin } from '@whatnext/core';
import type { WebRtcService } from '../webrtc/service';
import { createPeerjsMethod } from './method';
import { PeerjsOptions } from './options';

export const peerjs = definePlugin({
  name: 'peerjs',
  version: '0.1.0',
  api: '^2.1.0',
  description: 'Signaling through a PeerJS broker; its WebRTC data connection is the transport.',
  options: PeerjsOptions,
  advancedOptions: ['key', 'maxFrameSize', 'lowWaterMark'],
  dependencies: ['webrtc'],
  setup(ctx, options) {
    const method = createPeerjsMethod({
      options,
      webrtc: ctx.use<WebRtcService>('webrtc'),
      local: ctx.local,
      log: (level, message) => ctx.log(level, message),
    });
    ctx.registerSignaling(method);
    ctx.hooks.shutdown.tapPromise(() => method.shutdown());
  },
});

export default peerjs;
export { PeerjsOptions } from './options';
export { createPeerjsMethod, type PeerjsMethod, type PeerjsMethodConfig } from './method';
export { parsePeerjsLink, inviteParams, PARAM as PEERJS_LINK_PARAMS, type PeerjsLinkParams } from './link';
export { startBroker, type Broker, type BrokerOptions } from './broker';
