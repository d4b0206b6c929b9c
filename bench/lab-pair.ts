/**
 * Two bench peers (bench/lab-peer.ts) on two lab hosts, driven from the parent: the parent
 * carries the codes between them as a person would. Shared by the lab rows of `npm run bench`
 * (bench/lab.ts) and the back-to-back attempt measurement (bench/lab-attempts.ts).
 */
import { fileURLToPath } from 'node:url';
import type { ConnectionPath } from '../core/index';
import type { LabHost } from '../tools/netlab/lab';
import type { LabNodeProcess } from '../tools/netlab/processes';
import type { Kind, LabPeerCommand, LabPeerReply } from './lab-peer';

const PEER = fileURLToPath(new URL('./lab-peer.ts', import.meta.url));
/** Node with tsx and the WebRTC engine can take a while to start on a busy machine. */
const START_MS = 30_000;

export type LabPeer = LabNodeProcess<LabPeerCommand, LabPeerReply>;
type End = Extract<LabPeerReply, { type: 'end' }>;

export interface LabPair {
  kind: Kind;
  /** The inviter (offers), on the first host. */
  a: LabPeer;
  /** The answerer, on the second host. */
  b: LabPeer;
}

export async function startLabPeer(host: LabHost, name: string, kind: Kind, iceServers: readonly RTCIceServer[], gatherTimeoutMs?: number): Promise<LabPeer> {
  const peer = host.spawnNode<LabPeerCommand, LabPeerReply>(name, PEER);
  await peer.next('ready', START_MS);
  peer.send({ type: 'start', kind, name, iceServers: [...iceServers], ...(gatherTimeoutMs && { gatherTimeoutMs }) });
  await peer.next('started', START_MS);
  return peer;
}

export async function startLabPair(hosts: [LabHost, LabHost], kind: Kind, iceServers: readonly RTCIceServer[], gatherTimeoutMs?: number): Promise<LabPair> {
  const [a, b] = await Promise.all([
    startLabPeer(hosts[0], `${kind}-Alice`, kind, iceServers, gatherTimeoutMs),
    startLabPeer(hosts[1], `${kind}-Bob`, kind, iceServers, gatherTimeoutMs),
  ]);
  return { kind, a, b };
}

export interface LabAttempt {
  opened: boolean;
  /** From the inviter's start until both sides ended (open or failed), in ms. */
  ms: number;
  offerCandidates: string[];
  answerCandidates: string[];
  /** What a person carried: our codes, or raw simple-peer's signals as JSON. */
  codes: { invite: string; reply: string };
  ends: [End, End];
}

/** One connection attempt: offer, answer, complete, until both sides report its end. A side
 * that reports nothing within `waitMs` counts as failed. */
export async function attemptOnce({ a, b }: LabPair, waitMs: number, pasteDelayMs = 0): Promise<LabAttempt> {
  a.send({ type: 'offer' });
  const offer = await a.next('offer', waitMs);
  b.send({ type: 'answer', code: offer.code });
  const answer = await b.next('answer', waitMs);
  if (pasteDelayMs > 0) await sleep(pasteDelayMs);
  a.send({ type: 'complete', code: answer.code });
  const end = (p: LabPeer): Promise<End> => p.next('end', waitMs).catch((e: Error) => ({ type: 'end', opened: false, at: 0, message: e.message }));
  const ends = await Promise.all([end(a), end(b)]);
  const opened = ends[0].opened && ends[1].opened;
  const last = Math.max(ends[0].at, ends[1].at);
  return {
    opened,
    ms: last > 0 ? last - offer.started : NaN,
    offerCandidates: offer.candidates,
    answerCandidates: answer.candidates,
    codes: { invite: offer.code, reply: answer.code },
    ends,
  };
}

/** Closes both sides' connection (or cancels an attempt still under way) and drops any end
 * reported late, so the next attempt starts clean. */
export async function closeLabPair({ a, b }: LabPair, waitMs: number): Promise<void> {
  a.send({ type: 'close' });
  b.send({ type: 'close' });
  await Promise.all([a.next('closed', waitMs), b.next('closed', waitMs)]);
  for (const p of [a, b]) p.take('end');
}

/** Each side's selected candidate pair now, as its engine reports it. */
export async function labPaths({ a, b }: LabPair, waitMs: number): Promise<[ConnectionPath | undefined, ConnectionPath | undefined]> {
  a.send({ type: 'path' });
  b.send({ type: 'path' });
  const [pa, pb] = await Promise.all([a.next('path', waitMs), b.next('path', waitMs)]);
  return [pa.path, pb.path];
}

export async function stopLabPair({ a, b }: LabPair): Promise<void> {
  a.send({ type: 'stop' });
  b.send({ type: 'stop' });
  await Promise.all([a.exitWithin(10_000), b.exitWithin(10_000)]);
}

/** One side's path: kind, how it reaches a relay, and its pair's ends ("relayed/tcp relay→relay"). */
export function pathLabel(path: ConnectionPath | undefined): string {
  if (!path) return '(none)';
  return `${path.kind}${path.relayProtocol ? `/${path.relayProtocol}` : ''} ${path.local}→${path.remote}`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
