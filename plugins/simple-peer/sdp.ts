/**
 * Small SDP edits for non-trickle signals: put the gathered candidates into the description
 * (engines differ in whether `localDescription` already carries them) and drop the
 * `trickle` ICE option, so the remote does not wait for candidates that will never come.
 */

export interface CandidateLine {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** Identity of a candidate line: foundation, component, transport, priority, address, port.
 * The same candidate reads differently in an SDP and in an icecandidate event (libwebrtc adds
 * `ufrag` to the latter), so whole-line comparison would duplicate it. */
export function candidateKey(candidate: string): string {
  return candidate.replace(/^a=/, '').split(/\s+/).slice(0, 6).join(' ').toLowerCase();
}

function splitLines(sdp: string): string[] {
  const lines = sdp.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const joinLines = (lines: string[]): string => `${lines.join('\r\n')}\r\n`;

/** `sdp` with every candidate in `candidates` that it lacks added at the end of its media
 * section (found by `a=mid:` or else by m-line index). Candidates naming no section of the SDP
 * are dropped. */
export function withCandidates(sdp: string, candidates: readonly CandidateLine[]): string {
  const lines = splitLines(sdp);
  const present = new Set(lines.filter((line) => line.startsWith('a=candidate:')).map(candidateKey));
  // Media sections: [start, end) line ranges.
  const starts: number[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith('m=')) starts.push(i);
  });
  if (starts.length === 0) return joinLines(lines);
  const sections = starts.map((start, i) => ({ start, end: starts[i + 1] ?? lines.length, mid: undefined as string | undefined, added: [] as string[] }));
  for (const section of sections) {
    const mid = lines.slice(section.start, section.end).find((line) => line.startsWith('a=mid:'));
    section.mid = mid?.slice('a=mid:'.length);
  }
  for (const { candidate, sdpMid, sdpMLineIndex } of candidates) {
    const key = candidateKey(candidate);
    if (!candidate || present.has(key)) continue;
    const section = (sdpMid != null ? sections.find((s) => s.mid === sdpMid) : undefined) ?? (sdpMLineIndex != null ? sections[sdpMLineIndex] : undefined);
    if (!section) continue;
    section.added.push(`a=${candidate}`);
    present.add(key);
  }
  const out: string[] = lines.slice(0, sections[0]!.start);
  for (const section of sections) out.push(...lines.slice(section.start, section.end), ...section.added);
  return joinLines(out);
}

/** `sdp` without the `trickle` ICE option (the line goes when it was the only option). */
export function withoutTrickleOption(sdp: string): string {
  const lines = splitLines(sdp).flatMap((line) => {
    if (!line.startsWith('a=ice-options:')) return [line];
    const options = line
      .slice('a=ice-options:'.length)
      .split(' ')
      .filter((option) => option !== '' && option !== 'trickle');
    return options.length > 0 ? [`a=ice-options:${options.join(' ')}`] : [];
  });
  return joinLines(lines);
}

export function countCandidates(sdp: string): number {
  return splitLines(sdp).filter((line) => line.startsWith('a=candidate:')).length;
}
