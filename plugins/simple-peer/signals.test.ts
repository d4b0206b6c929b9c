import { describe, expect, it } from 'vitest';
import { TransportError } from '@whatnext/core';
import { MAX_SDP_LENGTH, parseSignal, toWireSignal } from './signals';

const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n';
const candidate = 'candidate:1510613869 1 udp 2122063615 127.0.0.1 56059 typ host generation 0 ufrag ue3d network-id 3';

function refusal(raw: unknown): TransportError {
  try {
    parseSignal(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).stage).toBe('signaling');
    return error as TransportError;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

describe('signals', () => {
  it('accepts offers, answers and candidates (simple-peer’s shapes)', () => {
    expect(parseSignal({ type: 'offer', sdp })).toEqual({ type: 'offer', sdp });
    expect(parseSignal({ type: 'answer', sdp })).toEqual({ type: 'answer', sdp });
    const c = { type: 'candidate', candidate: { candidate, sdpMLineIndex: 0, sdpMid: '0' } };
    expect(parseSignal(c)).toEqual(c);
    expect(parseSignal({ type: 'candidate', candidate: { candidate: '', sdpMid: '0' } })).toMatchObject({ type: 'candidate' });
    expect(
      parseSignal({ type: 'candidate', candidate: { candidate: 'candidate:1 1 TCP 1518 fd00::2 9 typ host tcptype active', sdpMLineIndex: 0 } }),
    ).toMatchObject({
      type: 'candidate',
    });
  });

  it.each([
    ['null', null],
    ['a string', 'v=0'],
    ['a number', 42],
    ['an array', [{ type: 'offer', sdp }]],
    ['no type', { sdp }],
    ['an unknown type', { type: 'pranswer', sdp }],
    ['a renegotiation request', { type: 'renegotiate', renegotiate: true }],
    ['a transceiver request', { type: 'transceiverRequest', transceiverRequest: { kind: 'audio' } }],
    ['an SDP that is not one', { type: 'offer', sdp: 'hello' }],
    ['an SDP without a data channel', { type: 'offer', sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n' }],
    ['an oversized SDP', { type: 'offer', sdp: sdp + 'a=x\r\n'.repeat(MAX_SDP_LENGTH / 5) }],
    ['an SDP of the wrong type', { type: 'answer', sdp: 7 }],
    ['a candidate that is not one', { type: 'candidate', candidate: { candidate: 'candidate:rm -rf /', sdpMid: '0' } }],
    ['a candidate without a section', { type: 'candidate', candidate: { candidate } }],
    ['a candidate as a string', { type: 'candidate', candidate }],
    ['a negative m-line index', { type: 'candidate', candidate: { candidate, sdpMLineIndex: -1 } }],
  ])('refuses %s with a TransportError', (_, raw) => {
    expect(refusal(raw).message).toMatch(/^simple-peer: unusable signal from the remote/);
  });

  it('says where a signal is wrong', () => {
    expect(refusal({ type: 'candidate', candidate: { candidate: 'nope', sdpMid: '0' } }).message).toContain('at candidate.candidate');
  });

  it('reduces what simple-peer emits to plain JSON and drops what this transport never sends', () => {
    expect(toWireSignal({ type: 'offer', sdp, extra: 'x' })).toEqual({ type: 'offer', sdp });
    expect(toWireSignal({ type: 'candidate', candidate: { candidate, sdpMLineIndex: 0, sdpMid: '0', usernameFragment: 'u' } })).toEqual({
      type: 'candidate',
      candidate: { candidate, sdpMLineIndex: 0, sdpMid: '0' },
    });
    expect(toWireSignal({ type: 'renegotiate', renegotiate: true })).toBeUndefined();
  });
});
