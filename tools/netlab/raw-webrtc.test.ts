/**
 * Raw @roamhq/wrtc (no WhatNext code) across the lab's routers: every unordered pair of router
 * kinds with STUN and TURN (UDP, TCP, TLS) configured, and cone ↔ cone with STUN alone. Each
 * pair connects, carries a message each way, and reports the selected candidate pair; the test
 * prints the matrix. This is the baseline the WhatNext matrix will be measured against.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCoturn, type Coturn } from './coturn';
import { createLab, type Lab, type LabHost } from './lab';
import { connectRaw, pathOf, startRawPeer, type RawConnection } from './raw-connect';
import { ROUTER_KINDS, type RouterKind } from './routers';
import { describeLab } from './support';

const USER = { username: 'lab-user', credential: 'lab-password' };
const CONNECT_MS = 20_000;

/** The paths a pair may take. A direct path over UDP exists unless one side is udp-blocked or
 * neither side maps endpoint-independently towards the other (symmetric with cone or
 * symmetric). A udp-blocked host may still reach a public host directly over ICE-TCP (its
 * active TCP candidate to the other's passive one); libwebrtc has preferred the TURN/TCP
 * relay in every run so far, but both are paths through a UDP-blocking router. */
function expected(x: RouterKind, y: RouterKind): ('direct' | 'relay')[] {
  const kinds = new Set([x, y]);
  if (kinds.has('udp-blocked')) return kinds.has('none') ? ['relay', 'direct'] : ['relay'];
  if (kinds.has('none')) return ['direct'];
  return kinds.has('symmetric') ? ['relay'] : ['direct'];
}

describeLab('netlab raw WebRTC', () => {
  let lab: Lab;
  let turn: Coturn;
  /** Two hosts of each kind: a pair of one kind uses both. */
  const hosts = new Map<string, LabHost>();
  const matrix: string[] = [];

  beforeAll(async () => {
    lab = await createLab();
    turn = await startCoturn(lab, { auth: { mode: 'long-term', username: USER.username, password: USER.credential } });
    const short = { none: 'open', cone: 'cone', symmetric: 'sym', 'udp-blocked': 'blocked' } as const;
    const built = await Promise.all(ROUTER_KINDS.flatMap((kind) => [1, 2].map((n) => lab.host(`${short[kind]}${n}`, kind))));
    for (const host of built) hosts.set(`${host.kind}#${host.name.slice(-1)}`, host);
  });

  afterAll(async () => {
    if (matrix.length > 0) console.log(`[netlab] raw @roamhq/wrtc selected pairs (each side's local → remote candidate):\n${matrix.join('\n')}`);
    await lab?.close();
  });

  const allServers = () => ({ iceServers: [{ urls: [turn.urls.stun] }, { urls: [turn.urls.turnUdp, turn.urls.turnTcp, turn.urls.turns], ...USER }] });

  const record = (title: string, connection: RawConnection) => {
    const path = pathOf(connection);
    matrix.push(`  ${title.padEnd(34)} ${path.label}`);
    // Both processes closed their connection and exited cleanly.
    expect(connection.exitCodes).toEqual([0, 0]);
    return path;
  };

  const pairs = ROUTER_KINDS.flatMap((x, i) => ROUTER_KINDS.slice(i).map((y) => [x, y] as const));

  for (const [x, y] of pairs) {
    it(`${x} ↔ ${y} (STUN + TURN): ${expected(x, y).join(' or ')}`, async () => {
      const a = hosts.get(`${x}#1`)!;
      const b = hosts.get(`${y}#2`)!;
      const connection = await connectRaw(a, b, allServers(), CONNECT_MS);
      const path = record(`${x} ↔ ${y}`, connection);
      expect(expected(x, y), path.label).toContain(path.kind);
      const sides = [
        [x, connection.a.local],
        [y, connection.b.local],
      ] as const;
      for (const [kind, local] of sides) {
        // Behind a UDP-blocking router the only way out is TCP: to the TURN server, or (ICE-TCP)
        // straight to a peer on the public segment.
        if (kind === 'udp-blocked') expect(local.type === 'relay' ? local.relayProtocol : local.protocol, `${kind}'s local candidate`).toBe('tcp');
        // A relay that is not forced onto TCP is reached over UDP.
        else if (local.type === 'relay') expect(local.relayProtocol).toBe('udp');
      }
    });
  }

  it('cone ↔ cone with STUN only: direct, server-reflexive on both sides', async () => {
    const connection = await connectRaw(hosts.get('cone#1')!, hosts.get('cone#2')!, { iceServers: [{ urls: [turn.urls.stun] }] }, CONNECT_MS);
    record('cone ↔ cone (STUN only)', connection);
    expect([connection.a.local.type, connection.b.local.type]).toEqual(['srflx', 'srflx']);
  });

  // libwebrtc (M106 in @roamhq/wrtc) checks a TURN server's TLS certificate against the roots
  // compiled into it and nothing else, and wrtc passes no tlsCertPolicy through RTCIceServer:
  // a lab-made certificate can never be trusted, so turns: yields no relay (a TLS server in
  // the lab sees the client's "unknown ca" alert). coturn.test.ts checks the TLS listener with
  // a client that trusts the certificate explicitly.
  it('turns: with the lab certificate: wrtc refuses it (icecandidateerror 701, no relay candidate)', async () => {
    const peer = await startRawPeer(hosts.get('udp-blocked#1')!, 'raw-turns-only');
    try {
      peer.send({ type: 'start', name: 'tls', initiator: true, config: { iceServers: [{ urls: [turn.urls.turns], ...USER }] } });
      // The end of gathering: a null candidate.
      await peer.next('signal', CONNECT_MS, (r) => 'candidate' in r.signal && r.signal.candidate === null);
      const candidates = peer.take('signal').flatMap((r) => ('candidate' in r.signal && r.signal.candidate ? [r.signal.candidate.candidate ?? ''] : []));
      expect(candidates.filter((c) => c.includes(' typ relay'))).toEqual([]);
      expect(peer.take('candidate-error').map((e) => [e.url, e.errorCode])).toContainEqual([turn.urls.turns, 701]);
      matrix.push(`  ${'udp-blocked, turns: only'.padEnd(34)} no relay: wrtc does not trust the lab certificate`);
    } finally {
      peer.send({ type: 'close' });
      await peer.exitWithin(10_000);
    }
  });
});
