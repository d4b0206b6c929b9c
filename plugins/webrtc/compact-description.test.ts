/**
 * The compact form of a session description: real engines make the descriptions, and two peer
 * connections that only ever see the rebuilt ones connect and carry data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '@whatnext/core';
import { compactDescription, expandDescription, type Description } from './compact-description';
import { loadDefaultEngine, loadWeriftEngine } from './engine';
import { webRtcBinding } from './sdp';
import type { WebRtcEngine } from './service';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** The complete (non-trickle) local description of `pc`. */
async function complete(pc: RTCPeerConnection, make: () => Promise<RTCSessionDescriptionInit>): Promise<Description> {
  const gathered = new Promise<void>((resolve) => {
    const check = () => pc.iceGatheringState === 'complete' && resolve();
    pc.addEventListener('icegatheringstatechange', check);
    check();
  });
  await pc.setLocalDescription(await make());
  await gathered;
  const { type, sdp } = pc.localDescription!;
  return { type: type as Description['type'], sdp };
}

/** Through the compact form and back, checking it is smaller and keeps the binding. */
function carried(description: Description): Description {
  const bytes = compactDescription(description);
  expect(bytes).toBeInstanceOf(Uint8Array);
  expect(bytes!.length).toBeLessThan(100);
  const rebuilt = expandDescription(bytes!);
  expect(rebuilt.type).toBe(description.type);
  expect(webRtcBinding(rebuilt.sdp)).toBe(webRtcBinding(description.sdp));
  // Stable: the rebuilt description compacts to the same bytes.
  expect(compactDescription(rebuilt)).toEqual(bytes);
  return rebuilt;
}

async function connectThroughCompact(offerEngine: WebRtcEngine, answerEngine: WebRtcEngine): Promise<string> {
  const a = new offerEngine.RTCPeerConnection({ iceServers: [] });
  const b = new answerEngine.RTCPeerConnection({ iceServers: [] });
  closers.push(
    () => a.close(),
    () => b.close(),
  );
  const channel = a.createDataChannel('compact');
  const received = new Promise<string>((resolve) => {
    b.addEventListener('datachannel', (event) => {
      event.channel.addEventListener('message', (message) => resolve(String(message.data)));
    });
  });
  const offer = carried(await complete(a, () => a.createOffer()));
  await b.setRemoteDescription(offer);
  const answer = carried(await complete(b, () => b.createAnswer()));
  await a.setRemoteDescription(answer);
  await new Promise<void>((resolve) => {
    if (channel.readyState === 'open') resolve();
    channel.addEventListener('open', () => resolve());
  });
  channel.send('through the compact form');
  return received;
}

describe('compact session descriptions', () => {
  it('connect two wrtc peers that only see the rebuilt descriptions', async () => {
    const engine = loadDefaultEngine();
    expect(await connectThroughCompact(engine, engine)).toBe('through the compact form');
  });

  it('connect wrtc and werift both ways', async () => {
    const wrtc = loadDefaultEngine();
    const werift = loadWeriftEngine();
    expect(await connectThroughCompact(wrtc, werift)).toBe('through the compact form');
    expect(await connectThroughCompact(werift, wrtc)).toBe('through the compact form');
  });

  it('keep the best relay, the best server-reflexive and then host candidates, three at most', () => {
    const sdp = [
      'v=0',
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
      'a=candidate:1 1 udp 2122265343 fd00::2 53395 typ host',
      'a=candidate:2 1 udp 2122194687 10.0.0.2 40765 typ host',
      'a=candidate:3 1 tcp 1518285567 10.0.0.2 9 typ host tcptype active',
      'a=candidate:4 1 udp 2122063615 127.0.0.1 59727 typ host',
      'a=candidate:5 1 udp 1686052607 203.0.113.7 61000 typ srflx raddr 10.0.0.2 rport 40765',
      'a=candidate:6 1 udp 41885439 198.51.100.9 49152 typ relay raddr 203.0.113.7 rport 61000',
      'a=candidate:7 1 udp 2122063615 host.local 1000 typ host',
      'a=ice-ufrag:q2hO',
      'a=ice-pwd:j9e7mlehBi71DQ4xqDd/GJ9f',
      'a=fingerprint:sha-256 3E:2F:60:D2:AB:CC:29:C2:7F:FE:0E:C6:14:98:C0:DF:39:70:C0:8C:FF:2E:13:5E:43:64:24:81:9E:E0:AC:1A',
      'a=setup:actpass',
      'a=mid:0',
      'a=sctp-port:5000',
      'a=max-message-size:262144',
      '',
    ].join('\r\n');
    const rebuilt = expandDescription(compactDescription({ type: 'offer', sdp })!).sdp;
    const candidates = [...rebuilt.matchAll(/^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ (\w+)/gm)].map(
      ([, address, port, type]) => `${type} ${address}:${port}`,
    );
    expect(candidates).toEqual(['relay 198.51.100.9:49152', 'srflx 203.0.113.7:61000', 'host 10.0.0.2:40765']);
    expect(rebuilt).toMatch(/^a=ice-pwd:j9e7mlehBi71DQ4xqDd\/GJ9f\r$/m);
    expect(rebuilt).toMatch(/^a=max-message-size:262144\r$/m);
    // IPv6 only where no IPv4 candidate reaches beyond the local network: then it fills the
    // slots IPv4 leaves.
    const kept = (text: string) => [...expandDescription(compactDescription({ type: 'offer', sdp: text })!).sdp.matchAll(/ udp \d+ (\S+) /g)].map((m) => m[1]);
    expect(kept(sdp.replace(/^a=candidate:[2-6] .*\r\n/gm, ''))).toEqual(['fd00:0:0:0:0:0:0:2']);
    expect(kept(sdp.replace(/^a=candidate:[356] .*\r\n/gm, ''))).toEqual(['10.0.0.2', '127.0.0.1', 'fd00:0:0:0:0:0:0:2']);
    expect(kept(sdp.replace(/^a=candidate:[56] .*\r\n/gm, '').replace('10.0.0.2 40765', '192.0.2.2 40765'))).toEqual(['192.0.2.2', '127.0.0.1']);
  });

  it('have no compact form for a description of another shape', () => {
    const base = [
      'v=0',
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
      'a=ice-ufrag:abcd',
      'a=ice-pwd:abcdefghijklmnopqrstuv',
      'a=setup:active',
      'a=mid:0',
    ];
    const fingerprint = 'a=fingerprint:sha-256 ' + Array.from({ length: 32 }, () => 'AB').join(':');
    const compact = (...lines: string[]) => compactDescription({ type: 'answer', sdp: lines.join('\r\n') + '\r\n' });
    expect(compact(...base, fingerprint)).toBeInstanceOf(Uint8Array);
    expect(compact(...base)).toBeUndefined(); // no fingerprint
    expect(compact(...base, fingerprint, 'm=audio 9 UDP/TLS/RTP/SAVPF 111')).toBeUndefined();
    expect(compact(...base.map((l) => l.replace('mid:0', 'mid:data')), fingerprint)).toBeUndefined();
    expect(compact(...base.map((l) => l.replace('abcd', 'ab_d')), fingerprint)).toBeUndefined(); // not an ICE character
    expect(compact(...base, 'a=fingerprint:sha-256 AB:CD')).toBeUndefined(); // wrong length for its hash
    expect(compact(...base.map((l) => l.replace('ufrag:abcd', 'ufrag:abc')), fingerprint)).toBeUndefined(); // RFC 8839: 4 at least
    expect(compact(...base.map((l) => l.replace('setup:active', 'setup:actpass')), fingerprint)).toBeUndefined(); // an answer takes a role
    expect(compact(...base, fingerprint, `a=max-message-size:${2 ** 42}`)).toBeUndefined();
    expect(compact(...base, fingerprint, `a=max-message-size:${2 ** 42 - 1}`)).toBeInstanceOf(Uint8Array);
  });

  it('refuses bytes that are not a compact description, with a TransportError', () => {
    const bytes = compactDescription({
      type: 'answer',
      sdp:
        'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=setup:active\r\na=mid:0\r\na=fingerprint:sha-1 ' +
        Array.from({ length: 20 }, () => '01').join(':') +
        '\r\na=candidate:1 1 udp 1 192.0.2.1 5000 typ host\r\n',
    })!;
    expect(() => expandDescription(bytes)).not.toThrow();
    for (let cut = 0; cut < bytes.length; cut++) expect(() => expandDescription(bytes.subarray(0, cut))).toThrow(TransportError);
    expect(() => expandDescription(Uint8Array.from([...bytes, 0]))).toThrow(/bytes follow its end/);
    expect(() => expandDescription(Uint8Array.from([0b110, ...bytes.subarray(1)]))).toThrow(/setup role/);
    expect(() => expandDescription(Uint8Array.from([bytes[0]! & ~0b110, ...bytes.subarray(1)]))).toThrow(/leaves the DTLS role open/);
    const shortUfrag = Uint8Array.from(bytes);
    shortUfrag[bytes[0]! & 0x80 ? 2 : 1] = 3; // the ufrag's length, after the flags (and extras)
    expect(() => expandDescription(shortUfrag)).toThrow(/shorter than 4/);
  });
});
