/**
 * One peer of the lab rows of `npm run bench` (bench/lab.ts) and of the back-to-back attempt
 * measurement (bench/lab-attempts.ts), run inside a lab host's namespace (`LabNamespace.spawnNode`) and
 * driven over IPC. The parent carries the codes between the two peers, as a person would.
 *
 * "ours": a PluginHost + ConnectionManager with manual + webrtc + simple-peer (bench/ours.ts),
 * connected through the manual flow: invite link, reply code. "raw": plain simple-peer with
 * `trickle: false` on the same engine, as its README shows: one offer, one answer.
 *
 * Times are `process.hrtime` readings (CLOCK_MONOTONIC: one clock for every process of the
 * machine, whatever namespace), so the parent compares one peer's start with the other's open.
 */
import { createRequire } from 'node:module';
import SimplePeer from 'simple-peer';
import type { ConnectionPath } from '../core/index';
import type { AttemptSummary } from '../core/protocol';
import type { Connection } from '../core/connection/types';
import { manual } from '../plugins/manual';
import { simplePeer } from '../plugins/simple-peer';
import { decodeInvite, decodeReply, type CarriedSignal } from '../plugins/manual/codes';
import { expandDescription } from '../plugins/webrtc/compact-description';
import { webrtc } from '../plugins/webrtc';
import { connectionPath } from '../plugins/webrtc/path';
import type { WebRtcEngine } from '../plugins/webrtc/service';
import { ourPeer, type OurPeer } from './ours';
import { exitSoon, replyToParent, serveParent } from './peer-child';

export type Kind = 'ours' | 'raw';

/** Parent → child. */
export type LabPeerCommand =
  | { type: 'start'; kind: Kind; name: string; iceServers: RTCIceServer[]; gatherTimeoutMs?: number }
  /** Inviter: make the invite (ours) or the offer (raw). */
  | { type: 'offer' }
  /** Answerer: take the invite or offer, answer it. */
  | { type: 'answer'; code: string }
  /** Inviter: take the reply code or answer. */
  | { type: 'complete'; code: string }
  /** The selected candidate pair now (the engine's view, read again); `pairs`: every pair's
   * check counts too (diagnostics). */
  | { type: 'path'; pairs?: boolean }
  /** Receiver: count `bytes` arriving on the connection, then say so (and say at once that it
   * listens, so the parent starts the sender only then). */
  | { type: 'expect'; bytes: number }
  /** Sender: send `bytes` in messages of `chunk` bytes, with the library's backpressure. */
  | { type: 'send'; bytes: number; chunk: number }
  /** This process's CPU time so far (every thread, the engine's included) and its memory. */
  | { type: 'usage' }
  | { type: 'close' }
  | { type: 'stop' };

/** Child → parent. `at` and `started` are `clock()` readings. */
export type LabPeerReply =
  | { type: 'ready' }
  | { type: 'started' }
  | { type: 'offer'; code: string; started: number; candidates: string[] }
  | { type: 'answer'; code: string; candidates: string[] }
  /** The attempt's end: open, or failed (with the stage and why). */
  | { type: 'end'; opened: true; at: number; path?: ConnectionPath }
  | { type: 'end'; opened: false; at: number; stage?: string; message: string }
  | { type: 'path'; path?: ConnectionPath; pairs?: string[] }
  | { type: 'expecting' }
  | { type: 'received'; at: number }
  | { type: 'sent'; started: number }
  | { type: 'usage'; cpuMs: number; rssMb: number }
  | { type: 'closed' }
  | { type: 'error'; message: string };

export const clock = (): number => Number(process.hrtime.bigint()) / 1e6;
const reply = (message: LabPeerReply): void => replyToParent(message);

/** The engine, with every peer connection it makes remembered (to read its stats later). */
const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as WebRtcEngine;
const made: RTCPeerConnection[] = [];
function Tracked(this: unknown, config?: RTCConfiguration) {
  const pc = new wrtc.RTCPeerConnection(config);
  made.push(pc);
  return pc;
}
Tracked.prototype = wrtc.RTCPeerConnection.prototype;
const engine = { ...wrtc, RTCPeerConnection: Tracked as unknown as typeof RTCPeerConnection } as WebRtcEngine;
const latestPc = () => made.findLast((pc) => pc.connectionState !== 'closed');

/** Candidate types and transports in an SDP ("srflx/udp", "relay/udp", ...). */
function candidatesOf(sdp: string): string[] {
  return [...sdp.matchAll(/a=candidate:\S+ \d+ (\w+) \d+ \S+ \d+ typ (\w+)/g)].map((m) => `${m[2]}/${m[1]!.toLowerCase()}`);
}

/** Every candidate pair with its checks, for diagnostics. */
async function pairStats(pc: RTCPeerConnection): Promise<string[]> {
  const report = await pc.getStats();
  const all = new Map<string, Record<string, unknown>>();
  report.forEach((value: Record<string, unknown>, id: string) => all.set(id, value));
  const name = (id: unknown) => {
    const c = all.get(String(id));
    return c ? `${c.candidateType}${c.relayProtocol ? `(${c.relayProtocol})` : ''}/${c.protocol} ${c.address ?? c.ip}:${c.port}` : '?';
  };
  return [...all.values()]
    .filter((s) => s.type === 'candidate-pair' && (Number(s.requestsSent) > 0 || Number(s.requestsReceived) > 0))
    .map(
      (s) =>
        `${name(s.localCandidateId)} → ${name(s.remoteCandidateId)} ${s.state}${s.nominated ? ' nominated' : ''} req ${s.requestsSent}/${s.responsesReceived} in ${s.requestsReceived}/${s.responsesSent} bytes ${s.bytesSent}/${s.bytesReceived}`,
    );
}

interface Side {
  offer(): Promise<{ code: string; candidates: string[] }>;
  answer(code: string): Promise<{ code: string; candidates: string[] }>;
  complete(code: string): void;
  expect(bytes: number): void;
  send(bytes: number, chunk: number): Promise<void>;
  close(): Promise<void>;
  stop(): Promise<void>;
}

function oursSide(peer: OurPeer): Side {
  let connection: Connection | undefined;
  /** The attempt under way, until it ends. */
  let pending: string | undefined;
  let inviteId: string | undefined;
  let questionId: string | undefined;
  /** Reports the attempt's end (open or failed) once. */
  const follow = (id: string) => {
    pending = id;
    const off = peer.manager.on('attempt', (a: AttemptSummary) => {
      if (a.id !== id) return;
      if (a.state === 'open') {
        off();
        pending = undefined;
        connection = peer.manager.connection(a.connectionId!);
        const at = clock();
        reply({ type: 'end', opened: true, at, ...(connection.stats().path && { path: connection.stats().path }) });
      } else if (a.state === 'failed' || a.state === 'rejected' || a.state === 'cancelled') {
        off();
        pending = undefined;
        reply({ type: 'end', opened: false, at: clock(), ...(a.error?.stage && { stage: a.error.stage }), message: a.error?.message ?? a.state });
      }
    });
  };
  return {
    async offer() {
      const invite = peer.manager.invite('manual');
      inviteId = invite.id;
      follow(invite.id);
      const shown = await peer.attempt(invite.id, (s) => !!s.invite && !!s.question);
      questionId = shown.question!.id;
      const code = shown.invite!.code!;
      return { code, candidates: candidatesOf(sdpOf(decodeInvite(code).s)) };
    },
    async answer(code) {
      const request = await peer.manager.openLink(code);
      follow(request.id);
      peer.manager.approve(request.id);
      const shown = await peer.attempt(request.id, (s) => s.displays.length > 0);
      const replyCode = shown.displays[0]!.code!;
      return { code: replyCode, candidates: candidatesOf(sdpOf(decodeReply(replyCode).s)) };
    },
    complete(code) {
      peer.manager.answer(inviteId!, questionId!, code);
    },
    expect(bytes) {
      let received = 0;
      const off = connection!.channel('bulk').onMessage((message) => {
        received += (message as Uint8Array).byteLength;
        if (received >= bytes) {
          off();
          reply({ type: 'received', at: clock() });
        }
      });
    },
    async send(bytes, chunk) {
      const data = new Uint8Array(chunk).fill(7);
      const started = clock();
      reply({ type: 'sent', started });
      for (let sent = 0; sent < bytes; sent += chunk) await connection!.channel('bulk').send(data);
    },
    async close() {
      if (connection) await Promise.all([connection.close('bench'), connection.closed]);
      connection = undefined;
      // An attempt still under way (the other side failed first) ends here.
      if (pending) peer.manager.cancel(pending);
    },
    stop: () => peer.stop(),
  };
}

function rawSide(iceServers: RTCIceServer[]): Side {
  let peer: SimplePeer.Instance | undefined;
  const make = (initiator: boolean) => {
    const p = new SimplePeer({ initiator, trickle: false, config: { iceServers }, wrtc: engine as never });
    peer = p;
    p.once('connect', () => {
      const at = clock();
      const pc = latestPc();
      void (pc ? connectionPath(pc) : Promise.resolve(undefined)).then((path) => reply({ type: 'end', opened: true, at, ...(path && { path }) }));
    });
    p.once('error', (error: Error & { code?: string }) => reply({ type: 'end', opened: false, at: clock(), message: `${error.code}: ${error.message}` }));
    return new Promise<{ code: string; candidates: string[] }>((resolve) =>
      p.once('signal', (signal: { sdp?: string }) => resolve({ code: JSON.stringify(signal), candidates: candidatesOf(signal.sdp ?? '') })),
    );
  };
  return {
    offer: () => make(true),
    answer(code) {
      const signalled = make(false);
      peer!.signal(JSON.parse(code));
      return signalled;
    },
    complete(code) {
      peer!.signal(JSON.parse(code));
    },
    expect(bytes) {
      let received = 0;
      const onData = (data: Uint8Array) => {
        received += data.byteLength;
        if (received >= bytes) {
          peer!.off('data', onData);
          reply({ type: 'received', at: clock() });
        }
      };
      peer!.on('data', onData);
    },
    async send(bytes, chunk) {
      const data = new Uint8Array(chunk).fill(7);
      const p = peer!;
      const started = clock();
      reply({ type: 'sent', started });
      for (let sent = 0; sent < bytes; sent += chunk) {
        if (!p.write(data)) await new Promise<void>((resolve) => p.once('drain', () => resolve()));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        const p = peer;
        peer = undefined;
        if (!p || p.destroyed) return resolve();
        p.once('close', () => resolve());
        p.destroy();
      }),
    async stop() {
      peer?.destroy();
    },
  };
}

let side: Side | undefined;

async function handle(command: LabPeerCommand): Promise<void> {
  if (command.type === 'start') {
    side =
      command.kind === 'ours'
        ? oursSide(
            await ourPeer(command.name, [
              manual(),
              webrtc({ iceServers: command.iceServers as never, engine }),
              simplePeer(command.gatherTimeoutMs ? { gatherTimeoutMs: command.gatherTimeoutMs } : {}),
            ]),
          )
        : rawSide(command.iceServers);
    return reply({ type: 'started' });
  }
  if (!side) throw new Error('not started');
  switch (command.type) {
    case 'offer': {
      const started = clock();
      const { code, candidates } = await side.offer();
      return reply({ type: 'offer', code, started, candidates });
    }
    case 'answer':
      return reply({ type: 'answer', ...(await side.answer(command.code)) });
    case 'complete':
      return side.complete(command.code);
    case 'path': {
      const pc = latestPc();
      const path = pc ? await connectionPath(pc) : undefined;
      const pairs = command.pairs && pc ? await pairStats(pc) : undefined;
      return reply({ type: 'path', ...(path && { path }), ...(pairs && { pairs }) });
    }
    case 'expect':
      side.expect(command.bytes);
      return reply({ type: 'expecting' });
    case 'send':
      return side.send(command.bytes, command.chunk);
    case 'usage': {
      const { user, system } = process.cpuUsage();
      return reply({ type: 'usage', cpuMs: (user + system) / 1000, rssMb: process.memoryUsage().rss / 2 ** 20 });
    }
    case 'close':
      await side.close();
      return reply({ type: 'closed' });
    case 'stop':
      await side.stop();
      return exitSoon();
  }
}

serveParent(handle);
reply({ type: 'ready' });

/** The SDP a manual code carried, short or long. */
function sdpOf(signal: CarriedSignal): string {
  return 'full' in signal ? String(signal.full.sdp) : expandDescription(signal.compact).sdp;
}
