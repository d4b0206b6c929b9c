/**
 * Approval policy backed by the service's known peers: remembers every peer whose connection
 * opened (it was approved to get there) and, when the setting says so, approves incoming
 * requests from known peers without asking. Never outgoing ones: a link only claims its peer's
 * id, and would lead us to whatever server it names (the handshake proves the id only later).
 */
import { definePlugin, type PluginInstance } from '../../core/plugin';
import type { ServiceState } from './state';

export function knownPeersPolicy(state: ServiceState): PluginInstance {
  return definePlugin({
    name: 'known-peers',
    version: '1.0.0',
    api: '^1.0.0',
    description: 'Remembers approved peers and, if enabled in settings, accepts their incoming requests without asking.',
    setup(ctx) {
      ctx.hooks.approve.tap((request) =>
        request.direction === 'incoming' && state.settings.autoAcceptKnownPeers && state.isKnown(request.remote.id)
          ? { approve: true, by: ctx.name }
          : undefined,
      );
      ctx.hooks.connectionOpened.tap((record) => state.remember(record.remote, record.method));
    },
  })();
}
