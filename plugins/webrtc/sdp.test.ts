/** What the WebRTC plugins read from session descriptions, and the ready message. */
import { describe, expect, it } from 'vitest';
import { WEBRTC_ANSWERER_READY, isWebRtcAnswererReady } from './pipe';
import { webRtcBinding, webRtcMaxMessageSize } from './sdp';

describe('webRtcBinding', () => {
  const sdp = (...lines: string[]) =>
    ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', ...lines, 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=mid:0', ''].join('\r\n');

  it('reads the fingerprints a description declares, normalised and sorted', () => {
    expect(webRtcBinding(sdp('a=fingerprint:SHA-256 ab:cd:ef'))).toBe('sha-256 AB:CD:EF');
    expect(webRtcBinding(sdp('a=fingerprint:sha-256 AB:CD', 'a=fingerprint:sha-1 01:02'))).toBe('sha-1 01:02,sha-256 AB:CD');
    // A fingerprint added by whoever relays the description changes the binding.
    expect(webRtcBinding(sdp('a=fingerprint:sha-256 AB:CD', 'a=fingerprint:sha-256 EE:FF'))).not.toBe(webRtcBinding(sdp('a=fingerprint:sha-256 AB:CD')));
  });

  it('is undefined for a description without one', () => {
    expect(webRtcBinding(sdp())).toBeUndefined();
  });
});

describe("the remote's largest message, from its SDP (RFC 8841)", () => {
  const sdp = (lines: string[]) => ['v=0', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=sctp-port:5000', ...lines, ''].join('\r\n');

  it('reads a=max-message-size', () => {
    expect(webRtcMaxMessageSize(sdp(['a=max-message-size:262144']))).toBe(262144);
    expect(webRtcMaxMessageSize(sdp(['a=max-message-size:1024']))).toBe(1024);
  });

  it('is 64 KiB when the SDP does not say, and no limit of its own for 0', () => {
    expect(webRtcMaxMessageSize(sdp([]))).toBe(65536);
    expect(webRtcMaxMessageSize(sdp(['a=max-message-size:0']))).toBeUndefined();
  });

  it('ignores a malformed attribute (and so assumes 64 KiB)', () => {
    expect(webRtcMaxMessageSize(sdp(['a=max-message-size:lots']))).toBe(65536);
    expect(webRtcMaxMessageSize(sdp(['a=max-message-size:-5']))).toBe(65536);
  });
});

describe('isWebRtcAnswererReady', () => {
  it('knows the ready byte as an ArrayBuffer or any view of it, and nothing else', () => {
    expect(isWebRtcAnswererReady(WEBRTC_ANSWERER_READY.slice().buffer)).toBe(true);
    expect(isWebRtcAnswererReady(Uint8Array.of(9, 0x52, 9).subarray(1, 2))).toBe(true);
    expect(isWebRtcAnswererReady(Uint8Array.of(0x53))).toBe(false);
    expect(isWebRtcAnswererReady(Uint8Array.of(0x52, 0))).toBe(false);
    expect(isWebRtcAnswererReady(new ArrayBuffer(0))).toBe(false);
    expect(isWebRtcAnswererReady('R')).toBe(false);
  });
});
