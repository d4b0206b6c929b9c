/**
 * Just enough STUN (RFC 8489) and TURN (RFC 8656) to check the lab's routers and coturn
 * without WebRTC: a Binding request (where a socket appears), and an authenticated Allocate
 * (whether a credential opens a relay, over UDP, TCP or TLS). IPv4 only, like the lab.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

const MAGIC_COOKIE = 0x2112a442;
const HEADER = 20;

export const METHOD = { binding: 0x001, allocate: 0x003 } as const;
const SUCCESS = 0x100;
const ERROR = 0x110;

export const ATTRIBUTE = {
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  realm: 0x0014,
  nonce: 0x0015,
  xorRelayedAddress: 0x0016,
  requestedTransport: 0x0019,
  xorMappedAddress: 0x0020,
} as const;

export interface Endpoint {
  address: string;
  port: number;
}

export interface StunMessage {
  type: number;
  transactionId: Buffer;
  attributes: Map<number, Buffer>;
}

export const isSuccess = (message: StunMessage, method: number) => message.type === (method | SUCCESS);
export const isError = (message: StunMessage, method: number) => message.type === (method | ERROR);

/** Encodes a request; with `integrityKey`, appends MESSAGE-INTEGRITY (HMAC-SHA1 over the
 * message, its length already counting the attribute). */
export function encode(method: number, transactionId: Buffer, attributes: [number, Buffer][], integrityKey?: Buffer): Buffer {
  const parts = attributes.map(([type, value]) => {
    const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
    padded.writeUInt16BE(type, 0);
    padded.writeUInt16BE(value.length, 2);
    value.copy(padded, 4);
    return padded;
  });
  const header = Buffer.alloc(HEADER);
  header.writeUInt16BE(method, 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(header, 8);
  const body = Buffer.concat(parts);
  if (!integrityKey) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  header.writeUInt16BE(body.length + 24, 2);
  const hmac = createHmac('sha1', integrityKey)
    .update(Buffer.concat([header, body]))
    .digest();
  const integrity = Buffer.alloc(4);
  integrity.writeUInt16BE(ATTRIBUTE.messageIntegrity, 0);
  integrity.writeUInt16BE(20, 2);
  return Buffer.concat([header, body, integrity, hmac]);
}

/** The length of the STUN message at the start of `data` (header included), once its header
 * has arrived: over TCP messages follow each other without framing. */
export function messageLength(data: Buffer): number | undefined {
  return data.length < HEADER ? undefined : HEADER + data.readUInt16BE(2);
}

export function decode(data: Buffer): StunMessage | undefined {
  const length = messageLength(data);
  if (length === undefined || data.length < length || data.readUInt32BE(4) !== MAGIC_COOKIE) return undefined;
  const attributes = new Map<number, Buffer>();
  for (let offset = HEADER; offset + 4 <= length;) {
    const type = data.readUInt16BE(offset);
    const size = data.readUInt16BE(offset + 2);
    if (offset + 4 + size > length) return undefined;
    if (!attributes.has(type)) attributes.set(type, data.subarray(offset + 4, offset + 4 + size));
    offset += 4 + Math.ceil(size / 4) * 4;
  }
  return { type: data.readUInt16BE(0), transactionId: data.subarray(8, 20), attributes };
}

/** An XOR-MAPPED-ADDRESS or XOR-RELAYED-ADDRESS value (IPv4). */
export function xorAddress(value: Buffer | undefined): Endpoint | undefined {
  if (!value || value.length < 8 || value[1] !== 0x01) return undefined;
  const port = value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const raw = (value.readUInt32BE(4) ^ MAGIC_COOKIE) >>> 0;
  return { address: [raw >>> 24, (raw >>> 16) & 255, (raw >>> 8) & 255, raw & 255].join('.'), port };
}

/** ERROR-CODE as "401 Unauthorized". */
export function errorCode(message: StunMessage): string {
  const value = message.attributes.get(ATTRIBUTE.errorCode);
  if (!value || value.length < 4) return 'an error without ERROR-CODE';
  return `${(value[2]! & 7) * 100 + value[3]!} ${value.subarray(4).toString('utf8')}`;
}

export const newTransactionId = () => randomBytes(12);

/** The long-term credential key (RFC 8489 §9.2.2): MD5(username ":" realm ":" password). */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`).digest();
}

/** REQUESTED-TRANSPORT for a UDP relay (protocol 17). */
export const UDP_TRANSPORT = Buffer.from([17, 0, 0, 0]);
