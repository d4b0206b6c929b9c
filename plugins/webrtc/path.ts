/**
 * The path a peer connection takes, from its selected ICE candidate pair (`getStats()`): direct
 * when both ends are the peers' own addresses (host) or their NATs' (srflx, prflx), relayed when
 * either end is a TURN relay. Two peers behind symmetric NATs may each send straight to the
 * other's relay, so a relay on the remote end alone is relayed too; only our own end says how we
 * reach a relay (udp, tcp, tls).
 */
import type { ConnectionPath } from '@whatnext/core';

type Stats = Record<string, unknown>;

export async function connectionPath(pc: RTCPeerConnection): Promise<ConnectionPath | undefined> {
  const report = await pc.getStats();
  const all = new Map<string, Stats>();
  report.forEach((value: Stats, id: string) => all.set(id, value));
  const transport = [...all.values()].find((stats) => stats.type === 'transport' && stats.selectedCandidatePairId);
  const pair = transport
    ? all.get(String(transport.selectedCandidatePairId))
    : [...all.values()].find((stats) => stats.type === 'candidate-pair' && stats.nominated && stats.state === 'succeeded');
  const local = pair && all.get(String(pair.localCandidateId));
  const remote = pair && all.get(String(pair.remoteCandidateId));
  if (!local || !remote) return undefined;
  const localType = String(local.candidateType);
  const remoteType = String(remote.candidateType);
  const relayed = localType === 'relay' || remoteType === 'relay';
  const relayProtocol = localType === 'relay' ? RELAY_PROTOCOLS.find((p) => p === local.relayProtocol) : undefined;
  return { kind: relayed ? 'relayed' : 'direct', ...(relayProtocol ? { relayProtocol } : {}), local: localType.slice(0, 16), remote: remoteType.slice(0, 16) };
}

const RELAY_PROTOCOLS = ['udp', 'tcp', 'tls'] as const;
