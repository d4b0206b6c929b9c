/**
 * WhatNext plugin: signalling through a PeerJS broker, with the PeerJS data connection as the
 * transport. See README.md.
 *
 *   defineConfig({ plugins: [peerjs({ host: '127.0.0.1', port: 9000, path: '/whatnext' })] })
 */
import { definePlugin } from '../../core';
import { createPeerjsMethod } from './method';
import { PeerjsOptions } from './options';

export const peerjs = definePlugin({
  name: 'peerjs',
  version: '0.1.0',
  api: '^1.0.0',
  description: 'Signalling through a PeerJS broker; its WebRTC data connection is the transport.',
  options: PeerjsOptions,
  setup(ctx, options) {
    const method = createPeerjsMethod({ options, local: ctx.local, log: (level, message) => ctx.log(level, message) });
    ctx.registerSignaling(method);
    ctx.hooks.shutdown.tapPromise(() => method.shutdown());
  },
});

export default peerjs;
export { PeerjsOptions } from './options';
export { createPeerjsMethod, type PeerjsMethod, type PeerjsMethodConfig } from './method';
export { parsePeerjsLink, inviteParams, PARAM as PEERJS_LINK_PARAMS, type PeerjsLinkParams } from './link';
export type { WebRtcEngine } from './engine';
export { startBroker, type Broker, type BrokerOptions } from './broker';
