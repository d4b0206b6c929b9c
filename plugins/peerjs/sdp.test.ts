import { describe, expect, it } from 'vitest';
import { maxMessageSize } from './session';

describe('the remote\'s largest message, from its SDP (RFC 8841)', () => {
  const sdp = (lines: string[]) => ['v=0', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=sctp-port:5000', ...lines, ''].join('\r\n');

  it('reads a=max-message-size', () => {
    expect(maxMessageSize(sdp(['a=max-message-size:262144']))).toBe(262144);
    expect(maxMessageSize(sdp(['a=max-message-size:1024']))).toBe(1024);
  });

  it('is 64 KiB when the SDP does not say, and no limit of its own for 0', () => {
    expect(maxMessageSize(sdp([]))).toBe(65536);
    expect(maxMessageSize(sdp(['a=max-message-size:0']))).toBeUndefined();
  });

  it('ignores a malformed attribute (and so assumes 64 KiB)', () => {
    expect(maxMessageSize(sdp(['a=max-message-size:lots']))).toBe(65536);
    expect(maxMessageSize(sdp(['a=max-message-size:-5']))).toBe(65536);
  });
});
