/**
 * Servers on loopback for tests of ICE failing: a UDP port that takes packets and never answers
 * (a STUN server, or a peer, that is not there), and a TURN server that refuses every
 * credential (it answers each Allocate with 401 Unauthorized, as a real one does to a wrong
 * password). Nothing leaves this machine.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface LoopbackServer {
  port: number;
  /** Resolves once a STUN request of `method` came (`STUN_BINDING`, `TURN_ALLOCATE`): a peer
   * connection used this server. */
  heard(method: number): Promise<void>;
  close(): Promise<void>;
}

function bind(onMessage?: (socket: Socket, message: Buffer, from: { address: string; port: number }) => void): Promise<LoopbackServer> {
  const socket = createSocket('udp4');
  socket.on('error', () => undefined); // a test's stray packet must not end the process
  const methods = new Set<number>();
  const waiting: { method: number; resolve: () => void }[] = [];
  socket.on('message', (message: Buffer) => {
    if (message.length < 20 || message.readUInt32BE(4) !== MAGIC_COOKIE || message.readUInt16BE(0) >> 14 !== 0) return;
    const method = message.readUInt16BE(0) & 0x3eef; // the type without its class bits
    methods.add(method);
    for (const waiter of waiting.filter((w) => w.method === method)) waiter.resolve();
  });
  const heard = (method: number) => (methods.has(method) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ method, resolve })));
  if (onMessage) socket.on('message', (message, from) => onMessage(socket, message, from));
  return new Promise((resolve) => {
    socket.bind(0, '127.0.0.1', () =>
      resolve({
        port: socket.address().port,
        heard,
        close: () => new Promise<void>((done) => socket.close(() => done())),
      }),
    );
  });
}

/** A UDP port on 127.0.0.1 that never answers. */
export function silentUdp(): Promise<LoopbackServer> {
  return bind();
}

const MAGIC_COOKIE = 0x2112a442;
export const STUN_BINDING = 0x0001;
export const TURN_ALLOCATE = 0x0003;
const ALLOCATE_REQUEST = 0x0003;
const ALLOCATE_ERROR = 0x0113;

function attribute(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

/** A TURN server on 127.0.0.1 (UDP) that answers every Allocate with 401 and a fresh challenge,
 * so a client's authenticated retry is refused too; anything else it leaves unanswered. */
export function refusingTurn(): Promise<LoopbackServer> {
  return bind((socket, message, from) => {
    if (message.length < 20 || message.readUInt32BE(4) !== MAGIC_COOKIE || message.readUInt16BE(0) !== ALLOCATE_REQUEST) return;
    const reason = Buffer.from('Unauthorized');
    const attributes = Buffer.concat([
      attribute(0x0009, Buffer.concat([Buffer.from([0, 0, 4, 1]), reason])), // ERROR-CODE 401
      attribute(0x0014, Buffer.from('whatnext-test')), // REALM
      attribute(0x0015, Buffer.from(`nonce-${Math.random().toString(36).slice(2)}`)), // NONCE
    ]);
    const header = Buffer.alloc(20);
    header.writeUInt16BE(ALLOCATE_ERROR, 0);
    header.writeUInt16BE(attributes.length, 2);
    header.writeUInt32BE(MAGIC_COOKIE, 4);
    message.copy(header, 8, 8, 20); // the transaction id
    socket.send(Buffer.concat([header, attributes]), from.port, from.address);
  });
}

/** `sdp` (or one candidate line) with every candidate pointing at 127.0.0.1:`port`: what the
 * remote says it has, made unreachable. */
export function candidatesTo(sdp: string, port: number): string {
  return sdp.replace(
    /^(a=)?candidate:(\S+) (\d+) (udp|tcp) (\d+) \S+ \d+ /gim,
    (_, a = '', foundation, component, protocol, priority) => `${a}candidate:${foundation} ${component} ${protocol} ${priority} 127.0.0.1 ${port} `,
  );
}
