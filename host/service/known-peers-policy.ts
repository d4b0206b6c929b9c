/**
 * Approval policy backed by the service's known peers: remembers every peer whose connection
 * opened (it was approved to get there) and, when the setting says so, approves incoming
 * requests from known peers without asking. Never outgoing ones: a link only claims its peer's
 * id, and would lead us to whatever server it names (the handshake proves the id only later).
 */
import { definePlugin, type PluginInstance } from '../../core/plugin';
import type { ServiceState } from './state';

/** `paused`: peers a person disconnected from, whose reconnections are asked about again. */
export function knownPeersPolicy(state: ServiceState, paused: (peerId: string) => boolean = () => false): PluginInstance {
  return definePlugin({
    name: 'known-peers',
    version: '1.0.0',
    api: '^2.0.0',
    description: 'Remembers approved peers and, if enabled in settings, accepts their incoming requests without asking.',
    setup(ctx) {
      ctx.hooks.approve.tap((request) => {
        if (request.direction !== 'incoming') return undefined;
        const known = state.known(request.remote.id);
        if (!known) return undefined;
        // A pairing reconnecting itself is approved for a peer set to connect automatically;
        // the handshake then proves the same key (the peer id is the key's), or it fails.
        if (state.settings.autoAcceptKnownPeers || (request.reconnect && known.autoConnect && !paused(known.id))) return { approve: true, by: ctx.name };
        return undefined;
      });
      ctx.hooks.connectionOpened.tap((record) => state.remember(record.remote, record.method));
      ctx.hooks.connectionClosed.tap((record) => state.seen(record.remote.id));
    },
  })();
}
