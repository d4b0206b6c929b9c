/**
 * A complete data-channel session description in about 80 bytes, for signals a person carries
 * (short manual codes, QR codes). It keeps what the remote's engine needs to reach us and to
 * check our DTLS certificate, and nothing else:
 *
 *   flags        1 byte   type (offer/answer), setup role, fingerprint hash, candidate count,
 *                         whether the extras byte follows
 *   extras       1 byte   (optional) sctp-port and/or max-message-size follow
 *   ice-ufrag    1 byte length + 6 bits per character (ICE's alphabet is base64's, RFC 8839)
 *   ice-pwd      likewise
 *   fingerprint  20/32/48/64 bytes
 *   sctp-port    2 bytes, if not 5000;  max-message-size  unsigned LEB128, if not 262144
 *   candidates   0-3 × (1 byte type and family, 4 or 16 bytes address, 2 bytes port)
 *
 * The description is rebuilt from a template (one `m=application` section, mid "0", the only
 * shape the WebRTC plugins make). Candidate priorities and foundations are recomputed from the
 * type (RFC 8445 §5.1.2.1); the remote only orders its checks by them. Of the description's
 * candidates, UDP ones with an IP address are kept, at most three: the best relay, the best
 * server-reflexive, then host ones, each kind in the engine's order of priority; IPv6 ones only
 * when no IPv4 candidate reaches beyond the local network.
 * A description of any other shape has no compact form (`compactDescription` says undefined).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { TransportError } from '@whatnext/core';

export interface Description {
  type: 'offer' | 'answer';
  sdp: string;
}

export const MAX_COMPACT_CANDIDATES = 3;
const ICE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SETUPS = ['actpass', 'active', 'passive'] as const;
const HASHES = [
  ['sha-256', 32],
  ['sha-1', 20],
  ['sha-384', 48],
  ['sha-512', 64],
] as const;
const CANDIDATE_TYPES = ['host', 'srflx', 'prflx', 'relay'] as const;
type CandidateType = (typeof CANDIDATE_TYPES)[number];
/** RFC 8445's recommended type preferences. */
const TYPE_PREFERENCE: Record<CandidateType, number> = { host: 126, prflx: 110, srflx: 100, relay: 0 };
const DEFAULT_SCTP_PORT = 5000;
/** RFC 8839: an ICE ufrag has at least 4 characters, a password at least 22. */
const MIN_UFRAG = 4;
const MIN_PWD = 22;
/** The largest number six LEB128 bytes hold. */
const MAX_VARINT = 2 ** 42 - 1;
const DEFAULT_MAX_MESSAGE_SIZE = 262144;

interface Candidate {
  type: CandidateType;
  address: string;
  port: number;
}

/** The compact bytes of `description`, or undefined when it has a shape they cannot hold. */
export function compactDescription(description: Description): Uint8Array | undefined {
  const sdp = description.sdp;
  if ((sdp.match(/^m=/gm) ?? []).length !== 1 || !/^m=application \d+ UDP\/DTLS\/SCTP webrtc-datachannel\r?$/m.test(sdp)) return undefined;
  if (attribute(sdp, 'mid') !== '0') return undefined;
  const ufrag = attribute(sdp, 'ice-ufrag');
  const pwd = attribute(sdp, 'ice-pwd');
  const setup = SETUPS.indexOf(attribute(sdp, 'setup') as (typeof SETUPS)[number]);
  const fingerprints = [...sdp.matchAll(/^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\r?$/gm)];
  if (!ufrag || !pwd || !isIceString(ufrag, MIN_UFRAG) || !isIceString(pwd, MIN_PWD) || setup < 0 || fingerprints.length !== 1) return undefined;
  if (description.type === 'answer' && SETUPS[setup] === 'actpass') return undefined;
  const [, hashName, hex] = fingerprints[0]!;
  const hash = HASHES.findIndex(([name]) => name === hashName!.toLowerCase());
  const fingerprint = Buffer.from(hex!.replaceAll(':', ''), 'hex');
  if (hash < 0 || fingerprint.length !== HASHES[hash]![1]) return undefined;
  const sctpPort = Number(attribute(sdp, 'sctp-port') ?? DEFAULT_SCTP_PORT);
  const maxMessageSize = Number(attribute(sdp, 'max-message-size') ?? 65536);
  if (
    !Number.isInteger(sctpPort) ||
    sctpPort < 1 ||
    sctpPort > 65535 ||
    !Number.isInteger(maxMessageSize) ||
    maxMessageSize < 0 ||
    maxMessageSize > MAX_VARINT
  ) {
    return undefined;
  }
  const candidates = chooseCandidates(sdp);

  const out: number[] = [];
  const extras = (sctpPort !== DEFAULT_SCTP_PORT ? 1 : 0) | (maxMessageSize !== DEFAULT_MAX_MESSAGE_SIZE ? 2 : 0);
  out.push((description.type === 'answer' ? 1 : 0) | (setup << 1) | (hash << 3) | (candidates.length << 5) | (extras ? 0x80 : 0));
  if (extras) out.push(extras);
  pushIceString(out, ufrag);
  pushIceString(out, pwd);
  out.push(...fingerprint);
  if (extras & 1) out.push(sctpPort >> 8, sctpPort & 0xff);
  if (extras & 2) pushVarint(out, maxMessageSize);
  for (const candidate of candidates) {
    const v6 = isIPv6(candidate.address);
    out.push(CANDIDATE_TYPES.indexOf(candidate.type) | (v6 ? 4 : 0));
    out.push(...(v6 ? ipv6Bytes(candidate.address) : candidate.address.split('.').map(Number)));
    out.push(candidate.port >> 8, candidate.port & 0xff);
  }
  return Uint8Array.from(out);
}

/** The description back from `compactDescription`'s bytes; a `TransportError` on bytes that are
 * not such a description. */
export function expandDescription(bytes: Uint8Array): Description {
  const reader = new Reader(bytes);
  const flags = reader.byte();
  const type = flags & 1 ? 'answer' : 'offer';
  const setup = SETUPS[(flags >> 1) & 3];
  const [hashName, hashLength] = HASHES[(flags >> 3) & 3]!;
  const count = (flags >> 5) & 3;
  if (!setup) throw reader.fail('an unknown setup role');
  const extras = flags & 0x80 ? reader.byte() : 0;
  if (extras & ~3) throw reader.fail('unknown extras');
  const ufrag = reader.iceString(MIN_UFRAG);
  const pwd = reader.iceString(MIN_PWD);
  if (type === 'answer' && setup === 'actpass') throw reader.fail('an answer that leaves the DTLS role open');
  const fingerprint = [...reader.bytes(hashLength)].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(':');
  const sctpPort = extras & 1 ? reader.uint16() : DEFAULT_SCTP_PORT;
  const maxMessageSize = extras & 2 ? reader.varint() : DEFAULT_MAX_MESSAGE_SIZE;
  const candidates: Candidate[] = [];
  for (let i = 0; i < count; i++) {
    const kind = reader.byte();
    const candidateType = CANDIDATE_TYPES[kind & 3]!;
    if (kind & ~7) throw reader.fail('an unknown candidate kind');
    const address = kind & 4 ? ipv6Text(reader.bytes(16)) : [...reader.bytes(4)].join('.');
    candidates.push({ type: candidateType, address, port: reader.uint16() });
  }
  reader.end();
  if (sctpPort === 0) throw reader.fail('SCTP port 0');

  const lines = [
    'v=0',
    'o=- 0 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=msid-semantic: WMS',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    ...candidates.map((c, i) => candidateLine(c, i)),
    'a=end-of-candidates',
    `a=ice-ufrag:${ufrag}`,
    `a=ice-pwd:${pwd}`,
    `a=fingerprint:${hashName} ${fingerprint}`,
    `a=setup:${setup}`,
    'a=mid:0',
    `a=sctp-port:${sctpPort}`,
    `a=max-message-size:${maxMessageSize}`,
  ];
  return { type, sdp: lines.join('\r\n') + '\r\n' };
}

function candidateLine(candidate: Candidate, index: number): string {
  const priority = TYPE_PREFERENCE[candidate.type] * 2 ** 24 + (65535 - index) * 2 ** 8 + 255;
  const related = candidate.type === 'host' ? '' : ` raddr ${isIPv6(candidate.address) ? '::' : '0.0.0.0'} rport 0`;
  return `a=candidate:${index + 1} 1 udp ${priority} ${candidate.address} ${candidate.port} typ ${candidate.type}${related}`;
}

const CANDIDATE_LINE = /^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ (host|srflx|prflx|relay)\b/gim;

function chooseCandidates(sdp: string): Candidate[] {
  const usable: Candidate[] = [];
  for (const [, address, port, type] of sdp.matchAll(CANDIDATE_LINE)) {
    const portNumber = Number(port);
    // IPv6 in plain hex groups only (no zone, no embedded IPv4).
    const ip = isIPv4(address!) || (isIPv6(address!) && !/[.%]/.test(address!));
    if (ip && portNumber > 0 && portNumber < 65536) {
      usable.push({ type: type!.toLowerCase() as CandidateType, address: address!, port: portNumber });
    }
  }
  // IPv4 (4 bytes an address, where IPv6 takes 16) when some IPv4 candidate reaches beyond this
  // network; otherwise IPv6 fills the slots IPv4 leaves, so a host whose only global address is
  // IPv6 keeps it. Within a family, the engine's order.
  const v4 = usable.filter((c) => isIPv4(c.address));
  const reachesOut = v4.some((c) => c.type !== 'host' || !isPrivateIPv4(c.address));
  const byFamily = reachesOut ? v4 : [...v4, ...usable.filter((c) => !isIPv4(c.address))];
  const chosen = [byFamily.find((c) => c.type === 'relay'), byFamily.find((c) => c.type === 'srflx')].filter((c) => c !== undefined);
  for (const candidate of byFamily) {
    if (chosen.length >= MAX_COMPACT_CANDIDATES) break;
    if (candidate.type === 'host') chosen.push(candidate);
  }
  return chosen;
}

/** Loopback, private (RFC 1918), shared (RFC 6598, carrier-grade NAT) or link-local. */
function isPrivateIPv4(address: string): boolean {
  const [a = 0, b = 0] = address.split('.').map(Number);
  return a === 10 || a === 127 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254);
}

function attribute(sdp: string, name: string): string | undefined {
  return new RegExp(`^a=${name}:(\\S+)\\r?$`, 'm').exec(sdp)?.[1];
}

function isIceString(text: string, minLength: number): boolean {
  return text.length >= minLength && text.length <= 255 && [...text].every((c) => ICE_ALPHABET.includes(c));
}

function pushIceString(out: number[], text: string): void {
  out.push(text.length);
  let bits = 0;
  let count = 0;
  for (const c of text) {
    bits = (bits << 6) | ICE_ALPHABET.indexOf(c);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push((bits >> count) & 0xff);
    }
  }
  if (count > 0) out.push((bits << (8 - count)) & 0xff);
}

function pushVarint(out: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function ipv6Bytes(address: string): number[] {
  const [head = '', tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const front = groups(head);
  const back = address.includes('::') ? groups(tail) : [];
  const all = [...front, ...Array.from({ length: 8 - front.length - back.length }, () => 0), ...back];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function ipv6Text(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

class Reader {
  #at = 0;
  constructor(private readonly data: Uint8Array) {}

  byte(): number {
    if (this.#at >= this.data.length) throw this.fail('it ends early');
    return this.data[this.#at++]!;
  }

  bytes(count: number): Uint8Array {
    if (this.#at + count > this.data.length) throw this.fail('it ends early');
    const slice = this.data.subarray(this.#at, this.#at + count);
    this.#at += count;
    return slice;
  }

  uint16(): number {
    return (this.byte() << 8) | this.byte();
  }

  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 42; shift += 7) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return value;
    }
    throw this.fail('a number too large');
  }

  iceString(minLength: number): string {
    const length = this.byte();
    if (length < minLength) throw this.fail(`an ICE credential shorter than ${minLength} characters`);
    const packed = this.bytes(Math.ceil((length * 6) / 8));
    let text = '';
    let bits = 0;
    let count = 0;
    for (const b of packed) {
      bits = ((bits << 8) | b) & 0xffff;
      count += 8;
      while (count >= 6 && text.length < length) {
        count -= 6;
        text += ICE_ALPHABET[(bits >> count) & 63];
      }
    }
    return text;
  }

  end(): void {
    if (this.#at !== this.data.length) throw this.fail('bytes follow its end');
  }

  fail(what: string): TransportError {
    return new TransportError('signaling', `Not a compact session description: ${what}.`);
  }
}
