import { describe, expect, it } from 'vitest';
import { candidateKey, countCandidates, withCandidates, withoutTrickleOption } from './sdp';

const sdp = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'a=ice-options:trickle',
  'a=mid:0',
  'a=candidate:1 1 udp 2122063615 127.0.0.1 56059 typ host generation 0 network-id 3',
  'a=max-message-size:262144',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'a=mid:1',
  '',
].join('\r\n');

describe('sdp', () => {
  it('adds missing candidates to their media section, by mid or by m-line index', () => {
    const out = withCandidates(sdp, [
      { candidate: 'candidate:2 1 udp 2122136831 ::1 58868 typ host generation 0', sdpMid: '0' },
      { candidate: 'candidate:3 1 tcp 1518083839 127.0.0.1 9 typ host tcptype active', sdpMLineIndex: 1 },
      { candidate: 'candidate:4 1 udp 1 10.0.0.1 1 typ host', sdpMid: 'nope' }, // no such section: dropped
    ]);
    const lines = out.split('\r\n');
    expect(lines.indexOf('a=candidate:2 1 udp 2122136831 ::1 58868 typ host generation 0')).toBe(lines.indexOf('a=max-message-size:262144') + 1);
    expect(lines.at(-2)).toBe('a=candidate:3 1 tcp 1518083839 127.0.0.1 9 typ host tcptype active');
    expect(countCandidates(out)).toBe(3);
    expect(out.endsWith('\r\n')).toBe(true);
  });

  it('does not duplicate a candidate the SDP already has, though the event spells it differently', () => {
    const fromEvent = 'candidate:1 1 udp 2122063615 127.0.0.1 56059 typ host generation 0 ufrag ue3d network-id 3';
    expect(candidateKey(fromEvent)).toBe(candidateKey('a=candidate:1 1 udp 2122063615 127.0.0.1 56059 typ host generation 0 network-id 3'));
    expect(withCandidates(sdp, [{ candidate: fromEvent, sdpMid: '0' }])).toBe(sdp);
  });

  it('drops the trickle ICE option, keeping any other', () => {
    expect(withoutTrickleOption(sdp)).not.toContain('a=ice-options');
    expect(withoutTrickleOption('v=0\na=ice-options:trickle renomination\n')).toBe('v=0\r\na=ice-options:renomination\r\n');
  });
});
