/**
 * Approval policy backed by the service's known peers: remembers every peer whose connection
 * opened (it was approved to get there) and, when the setting says so, approves requests from
 * known peers without asking.
 */
import { definePlugin, type PluginInstance } from '../../core/plugin';
import type { ServiceState } from './state';

export function knownPeersPolicy(state: ServiceState): PluginInstance {
  return definePlugin({
    name: 'known-peers',
    version: '1.0.0',
    api: '^1.0.0',
    description: 'Remembers approved peers and, if enabled in settings, accepts them without asking.',
    setup(ctx) {
      ctx.hooks.approve.tap(ctx.name, (request) =>
        state.settings.autoAcceptKnownPeers && state.isKnown(request.remote.id) ? { approve: true, by: ctx.name } : undefined,
      );
      ctx.hooks.connectionOpened.tap(ctx.name, (record) => state.remember(record.remote, record.method));
    },
  })();
}
