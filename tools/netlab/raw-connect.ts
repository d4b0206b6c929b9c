/**
 * Connecting two raw @roamhq/wrtc peers (raw-peer.ts) on two lab hosts, the test process
 * relaying their signals, and naming the path their selected candidate pairs took.
 */
import { fileURLToPath } from 'node:url';
import { LabError } from './exec';
import type { LabHost } from './lab';
import type { LabNodeProcess } from './processes';
import type { CandidateInfo, RawPeerCommand, RawPeerReply, SelectedPair } from './raw-peer';

export type RawPeer = LabNodeProcess<RawPeerCommand, RawPeerReply>;

const RAW_PEER = fileURLToPath(new URL('./raw-peer.ts', import.meta.url));

export async function startRawPeer(host: LabHost, name: string): Promise<RawPeer> {
  const peer = host.spawnNode<RawPeerCommand, RawPeerReply>(name, RAW_PEER);
  await peer.next('ready', 30_000);
  return peer;
}

export interface RawConnection {
  /** Each side's selected pair, as its own getStats() reports it. */
  a: SelectedPair;
  b: SelectedPair;
  /** Each side's exit code after it closed its connection (0 when clean). */
  exitCodes: [number | null, number | null];
}

/** Connects a peer on `a` (offering) with one on `b`, exchanges a message each way, reports
 * the selected pairs, closes both and waits for both processes to exit. */
export async function connectRaw(a: LabHost, b: LabHost, config: RTCConfiguration, timeoutMs: number): Promise<RawConnection> {
  const [peerA, peerB] = await Promise.all([startRawPeer(a, `raw-${a.name}`), startRawPeer(b, `raw-${b.name}`)]);
  try {
    peerA.onReply((reply) => reply.type === 'signal' && peerB.send({ type: 'signal', signal: reply.signal }));
    peerB.onReply((reply) => reply.type === 'signal' && peerA.send({ type: 'signal', signal: reply.signal }));
    const failed = (peer: RawPeer) => peer.next('failed', timeoutMs).then((f) => Promise.reject(new LabError(`netlab: ${peer.name}: ${f.reason}`)));
    const connected = Promise.all([peerA.next('connected', timeoutMs), peerB.next('connected', timeoutMs)]);
    peerB.send({ type: 'start', name: b.name, initiator: false, config });
    peerA.send({ type: 'start', name: a.name, initiator: true, config });
    const [fromA, fromB] = await Promise.race([connected, failed(peerA), failed(peerB)]);
    if (fromA.received !== `hello from ${b.name}` || fromB.received !== `hello from ${a.name}`) throw new LabError(`netlab: unexpected messages: ${fromA.received} / ${fromB.received}`);
    peerA.send({ type: 'close' });
    peerB.send({ type: 'close' });
    const [exitA, exitB] = await Promise.all([peerA.exitWithin(10_000), peerB.exitWithin(10_000)]);
    return { a: fromA.pair, b: fromB.pair, exitCodes: [exitA.code, exitB.code] };
  } finally {
    // A failure left them running: the lab would kill them at close, but the next pair
    // should not share the hosts with them.
    await Promise.all([peerA.stop(), peerB.stop()]);
  }
}

const side = (c: CandidateInfo) => (c.type === 'relay' ? `relay(${c.relayProtocol ?? '?'})` : `${c.type}/${c.protocol}`);

/** "direct" when neither side's local candidate is a relay, else "relay"; with each side's
 * local candidate, e.g. `relay: relay(tcp) ↔ srflx/udp`. */
export function pathOf(connection: RawConnection): { kind: 'direct' | 'relay'; label: string } {
  const kind = connection.a.local.type === 'relay' || connection.b.local.type === 'relay' ? 'relay' : 'direct';
  return { kind, label: `${kind}: ${side(connection.a.local)} ↔ ${side(connection.b.local)}` };
}
