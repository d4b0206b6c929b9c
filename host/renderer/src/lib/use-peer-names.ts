/** Names for peer ids: "you", a connected or known peer's name, or a short id. */
import { usePeersStore } from '../stores/peers';
import { useServiceStore } from '../stores/service';
import { shortId } from './labels';

export function usePeerNames() {
  const peers = usePeersStore();
  const service = useServiceStore();
  return (peerId: string | undefined, you = 'you'): string => {
    if (!peerId) return 'someone';
    if (peerId === service.status?.local.id) return you;
    return peers.connections.find((c) => c.remote.id === peerId)?.remote.name ?? peers.known.find((p) => p.id === peerId)?.name ?? `peer ${shortId(peerId)}`;
  };
}
