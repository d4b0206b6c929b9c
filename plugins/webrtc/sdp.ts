/** What the WebRTC plugins read from session descriptions. */

/**
 * The binding of one side of a WebRTC connection (core's `PipeSink.binding`): the DTLS
 * certificate fingerprints its session description declares (`a=fingerprint`, RFC 8122),
 * normalised and sorted. The engine accepts a DTLS peer only with a certificate matching the
 * remote description's fingerprint, so a proof over this value is a proof over the certificate
 * the remote actually holds. Undefined if the description declares none.
 */
export function webRtcBinding(sdp: string): string | undefined {
  const fingerprints = new Set<string>();
  for (const match of sdp.matchAll(/^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/gm)) {
    fingerprints.add(`${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}`);
  }
  return fingerprints.size > 0 ? [...fingerprints].sort().join(',') : undefined;
}

/** RFC 8841: the largest message the side whose description this is accepts on its data
 * channels (`a=max-message-size`). Absent means 64 KiB; 0 means no limit of its own
 * (undefined here: the transport's own setting applies). */
export function webRtcMaxMessageSize(sdp: string): number | undefined {
  const declared = /^a=max-message-size:(\d{1,12})\s*$/m.exec(sdp);
  if (!declared) return 64 * 1024;
  const size = Number(declared[1]);
  return size > 0 ? size : undefined;
}
