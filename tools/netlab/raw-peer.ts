/**
 * One raw @roamhq/wrtc peer (no WhatNext code), run inside a lab host's namespace and driven
 * over IPC: the test process relays its signals (trickle: the description, then each
 * candidate as it is gathered) to the other peer. Once the data channel carried a message
 * each way it reports the selected candidate pair from getStats().
 *
 * Trickle, because a complete description waits for the end of gathering, and gathering waits
 * for every server: behind a router that drops UDP, STUN and TURN/UDP requests go unanswered
 * until libwebrtc's retransmissions give up, long after TURN/TCP has a relay.
 */
import { createRequire } from 'node:module';

export interface CandidateInfo {
  type: string;
  protocol: string;
  address: string;
  port: number;
  /** For a relay candidate: how this peer reaches its TURN server (udp, tcp, tls). */
  relayProtocol?: string;
}

export interface SelectedPair {
  local: CandidateInfo;
  remote: CandidateInfo;
}

export type PeerSignal = { description: RTCSessionDescriptionInit } | { candidate: RTCIceCandidateInit | null };

export type RawPeerCommand =
  { type: 'start'; name: string; initiator: boolean; config: RTCConfiguration } | { type: 'signal'; signal: PeerSignal } | { type: 'close' };

export type RawPeerReply =
  | { type: 'ready' }
  | { type: 'signal'; signal: PeerSignal }
  | { type: 'connected'; received: string; pair: SelectedPair; gathered: CandidateInfo[] }
  | { type: 'ice-state'; state: string }
  | { type: 'candidate-error'; url: string; errorCode: number; errorText: string }
  | { type: 'failed'; reason: string }
  | { type: 'closed' }
  | { type: 'error'; message: string };

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as { RTCPeerConnection: typeof RTCPeerConnection };
// After the channel closed (teardown) the engine may still report a state: nobody listens.
const reply = (message: RawPeerReply) => void (process.connected && process.send?.(message));

let pc: RTCPeerConnection | undefined;
let remoteSet = false;
const early: RTCIceCandidateInit[] = [];
const gathered: CandidateInfo[] = [];

function candidateInfo(stats: Record<string, unknown>): CandidateInfo {
  return {
    type: String(stats.candidateType),
    protocol: String(stats.protocol),
    address: String(stats.address ?? stats.ip),
    port: Number(stats.port),
    ...(stats.relayProtocol ? { relayProtocol: String(stats.relayProtocol) } : {}),
  };
}

async function selectedPair(peer: RTCPeerConnection): Promise<SelectedPair> {
  const report = await peer.getStats();
  const all = new Map<string, Record<string, unknown>>();
  report.forEach((value: Record<string, unknown>, id: string) => all.set(id, value));
  const transport = [...all.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const pair = transport
    ? all.get(String(transport.selectedCandidatePairId))
    : [...all.values()].find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
  const local = pair && all.get(String(pair.localCandidateId));
  const remote = pair && all.get(String(pair.remoteCandidateId));
  if (!local || !remote) throw new Error('getStats() names no selected candidate pair');
  return { local: candidateInfo(local), remote: candidateInfo(remote) };
}

async function start(name: string, initiator: boolean, config: RTCConfiguration): Promise<void> {
  const peer = new wrtc.RTCPeerConnection(config);
  pc = peer;
  let received: string | undefined;
  let sent = false;
  const maybeReport = async () => {
    if (received === undefined || !sent) return;
    reply({ type: 'connected', received, pair: await selectedPair(peer), gathered });
  };
  const useChannel = (channel: RTCDataChannel) => {
    channel.onopen = () => {
      channel.send(`hello from ${name}`);
      sent = true;
      void maybeReport().catch(fail);
    };
    channel.onmessage = (event) => {
      received = String(event.data);
      void maybeReport().catch(fail);
    };
  };
  peer.onicecandidate = (event) => {
    if (event.candidate) {
      const parts = event.candidate.candidate.split(' ');
      gathered.push({ type: parts[7] ?? '?', protocol: parts[2] ?? '?', address: parts[4] ?? '?', port: Number(parts[5]) });
    }
    reply({ type: 'signal', signal: { candidate: event.candidate ? event.candidate.toJSON() : null } });
  };
  peer.addEventListener('icecandidateerror', (event) => {
    const { url, errorCode, errorText } = event as RTCPeerConnectionIceErrorEvent;
    reply({ type: 'candidate-error', url, errorCode, errorText });
  });
  peer.oniceconnectionstatechange = () => {
    reply({ type: 'ice-state', state: peer.iceConnectionState });
    if (peer.iceConnectionState === 'failed') reply({ type: 'failed', reason: 'ICE failed: no candidate pair worked' });
  };
  if (initiator) {
    useChannel(peer.createDataChannel('lab'));
    await peer.setLocalDescription(await peer.createOffer());
    reply({ type: 'signal', signal: { description: peer.localDescription!.toJSON() } });
  } else {
    peer.ondatachannel = (event) => useChannel(event.channel);
  }
}

async function signal(message: PeerSignal): Promise<void> {
  const peer = pc;
  if (!peer) throw new Error('signal before start');
  if ('description' in message) {
    await peer.setRemoteDescription(message.description);
    remoteSet = true;
    for (const candidate of early.splice(0)) await peer.addIceCandidate(candidate);
    if (message.description.type === 'offer') {
      await peer.setLocalDescription(await peer.createAnswer());
      reply({ type: 'signal', signal: { description: peer.localDescription!.toJSON() } });
    }
  } else if (message.candidate) {
    if (remoteSet) await peer.addIceCandidate(message.candidate);
    else early.push(message.candidate);
  }
}

function fail(error: unknown): void {
  reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}

process.on('message', (command: RawPeerCommand) => {
  if (command.type === 'start') void start(command.name, command.initiator, command.config).catch(fail);
  else if (command.type === 'signal') void signal(command.signal).catch(fail);
  else {
    pc?.close();
    reply({ type: 'closed' });
    process.disconnect?.();
  }
});
process.on('disconnect', () => pc?.close());
reply({ type: 'ready' });
