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
    if (fromA.received !== `hello from ${b.name}` || fromB.received !== `hello from ${a.name}`)
      throw new LabError(`netlab: unexpected messages: ${fromA.received} / ${fromB.received}`);
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

const describe = (c: CandidateInfo, local: boolean) =>
  c.type === 'relay' ? (local ? `relay(${c.relayProtocol ?? '?'})` : 'relay') : `${c.type}/${c.protocol}`;

/**
 * "relay" when any candidate of either selected pair is a relay, else "direct". A relay may
 * be on the remote end only: each side may send straight to the other's relay address, which
 * is still a relayed path. The label gives each side's pair as local → remote (a remote
 * relay's protocol to its server is known to its owner only).
 */
export function pathOf(connection: RawConnection): { kind: 'direct' | 'relay'; label: string } {
  const { a, b } = connection;
  const kind = [a.local, a.remote, b.local, b.remote].some((c) => c.type === 'relay') ? 'relay' : 'direct';
  const pair = (p: SelectedPair) => `${describe(p.local, true)} → ${describe(p.remote, false)}`;
  return { kind, label: `${kind.padEnd(6)} a ${pair(a).padEnd(26)} b ${pair(b)}` };
}
