import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CompleteSignal } from './gathering';
import type { DescriptionSignal } from './signals';

const offer: DescriptionSignal = { type: 'offer', sdp: 'v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-options:trickle\r\na=mid:0\r\n' };
const host = { candidate: 'candidate:1 1 udp 2122063615 127.0.0.1 56059 typ host', sdpMid: '0', sdpMLineIndex: 0 };
const tcp = { candidate: 'candidate:2 1 tcp 1518083839 127.0.0.1 9 typ host tcptype passive', sdpMid: '0', sdpMLineIndex: 0 };

describe('CompleteSignal (one signal without trickle)', () => {
  let sent: DescriptionSignal[];
  let localSdp: string | undefined;
  const make = () => new CompleteSignal({ timeoutMs: 1000, localSdp: () => localSdp, send: (signal) => sent.push(signal) });

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    localSdp = undefined;
  });
  afterEach(() => vi.useRealTimers());

  it('sends once, when gathering completes, with every candidate and no trickle option', () => {
    const signal = make();
    signal.description(offer);
    signal.candidate(host);
    signal.candidate(tcp);
    expect(sent).toHaveLength(0);
    signal.complete();
    signal.complete();
    signal.candidate({ ...host, candidate: 'candidate:9 1 udp 1 10.0.0.9 9 typ srflx' });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.type).toBe('offer');
    expect(sent[0]!.sdp).toContain(`a=${host.candidate}`);
    expect(sent[0]!.sdp).toContain(`a=${tcp.candidate}`);
    expect(sent[0]!.sdp).not.toContain('trickle');
    expect(sent[0]!.sdp).not.toContain('10.0.0.9');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('prefers the engine’s local description when it has one', () => {
    localSdp = offer.sdp.replace('a=mid:0', 'a=mid:0\r\na=x-engine:1');
    const signal = make();
    signal.complete(); // before the description: remembered
    signal.description(offer);
    expect(sent[0]!.sdp).toContain('a=x-engine:1');
  });

  it('at the deadline sends what it has, if it has a candidate', () => {
    const signal = make();
    signal.description(offer);
    signal.candidate(host);
    vi.advanceTimersByTime(999);
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.sdp).toContain(`a=${host.candidate}`);
  });

  it('past the deadline without a candidate, waits for the first one', () => {
    const signal = make();
    signal.description(offer);
    vi.advanceTimersByTime(5000);
    expect(sent).toHaveLength(0);
    signal.candidate(host);
    expect(sent).toHaveLength(1);
  });

  it('dispose clears its timer', () => {
    const signal = make();
    signal.description(offer);
    expect(vi.getTimerCount()).toBe(1);
    signal.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });
});
