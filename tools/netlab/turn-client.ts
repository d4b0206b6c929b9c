/**
 * A TURN Allocate with long-term credentials (RFC 8656 §7.2, RFC 8489 §9.2), over UDP, TCP or
 * TLS: whether a server gives these credentials a relay, and where. TLS trusts exactly the
 * certificate passed in (`ca`) and checks it names the server's address, as a client that
 * was handed the lab's certificate would. Run inside a lab namespace (agent.ts).
 */
import { createSocket } from 'node:dgram';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import {
  ATTRIBUTE,
  METHOD,
  UDP_TRANSPORT,
  decode,
  encode,
  errorCode,
  isError,
  isSuccess,
  longTermKey,
  messageLength,
  newTransactionId,
  xorAddress,
  type Endpoint,
  type StunMessage,
} from './stun';

export type TurnTransport = 'udp' | 'tcp' | 'tls';

export interface AllocateOptions {
  transport: TurnTransport;
  server: Endpoint;
  username: string;
  password: string;
  /** The certificate (PEM) to trust for TLS. */
  ca?: string;
  timeoutMs: number;
}

export type AllocateResult = { ok: true; relayed: Endpoint; mapped?: Endpoint } | { ok: false; error: string };

interface Channel {
  /** Sends `request` and resolves with the response to it (UDP: retransmitted until then). */
  exchange(request: Buffer, transactionId: Buffer): Promise<StunMessage>;
  close(): void;
}

export async function allocate(options: AllocateOptions): Promise<AllocateResult> {
  let channel: Channel;
  try {
    channel = await open(options);
  } catch (error) {
    // A refused connection or a certificate not trusted: the answer, not a crash.
    return { ok: false, error: (error as Error).message };
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no TURN answer over ${options.transport} within ${options.timeoutMs} ms`)), options.timeoutMs);
  });
  try {
    return await Promise.race([run(channel, options), deadline]);
  } finally {
    clearTimeout(timer);
    channel.close();
  }
}

async function run(channel: Channel, options: AllocateOptions): Promise<AllocateResult> {
  const first = newTransactionId();
  const challenge = await channel.exchange(encode(METHOD.allocate, first, [[ATTRIBUTE.requestedTransport, UDP_TRANSPORT]]), first);
  if (isSuccess(challenge, METHOD.allocate)) return { ok: false, error: 'the server allocated without asking for credentials' };
  const realm = challenge.attributes.get(ATTRIBUTE.realm);
  const nonce = challenge.attributes.get(ATTRIBUTE.nonce);
  if (!realm || !nonce) return { ok: false, error: `expected a 401 challenge, got ${errorCode(challenge)}` };
  const key = longTermKey(options.username, realm.toString('utf8'), options.password);
  const second = newTransactionId();
  const request = encode(
    METHOD.allocate,
    second,
    [
      [ATTRIBUTE.requestedTransport, UDP_TRANSPORT],
      [ATTRIBUTE.username, Buffer.from(options.username, 'utf8')],
      [ATTRIBUTE.realm, realm],
      [ATTRIBUTE.nonce, nonce],
    ],
    key,
  );
  const answer = await channel.exchange(request, second);
  if (isError(answer, METHOD.allocate)) return { ok: false, error: errorCode(answer) };
  const relayed = xorAddress(answer.attributes.get(ATTRIBUTE.xorRelayedAddress));
  if (!isSuccess(answer, METHOD.allocate) || !relayed) return { ok: false, error: 'a malformed Allocate answer' };
  const mapped = xorAddress(answer.attributes.get(ATTRIBUTE.xorMappedAddress));
  return { ok: true, relayed, ...(mapped ? { mapped } : {}) };
}

function open(options: AllocateOptions): Promise<Channel> {
  if (options.transport === 'udp') return Promise.resolve(udpChannel(options.server));
  return new Promise((resolve, reject) => {
    const { address: host, port } = options.server;
    const socket: Socket =
      options.transport === 'tls'
        ? connectTls({ host, port, ca: options.ca, timeout: options.timeoutMs }, () => resolve(streamChannel(socket)))
        : connectTcp({ host, port, timeout: options.timeoutMs }, () => resolve(streamChannel(socket)));
    socket.once('error', reject);
    socket.once('timeout', () => socket.destroy(new Error(`no ${options.transport} connection to ${host}:${port} within ${options.timeoutMs} ms`)));
  });
}

function udpChannel(server: Endpoint): Channel {
  const socket = createSocket('udp4');
  socket.on('error', () => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    // Retransmitted as RFC 8489 §6.2.1 says (doubling from 100 ms), until answered or closed.
    exchange: (request, transactionId) =>
      new Promise((resolve) => {
        let delay = 100;
        const send = () => {
          socket.send(request, server.port, server.address);
          timer = setTimeout(send, delay);
          delay *= 2;
        };
        const onMessage = (data: Buffer) => {
          const message = decode(data);
          if (!message?.transactionId.equals(transactionId)) return;
          clearTimeout(timer);
          socket.off('message', onMessage);
          resolve(message);
        };
        socket.on('message', onMessage);
        send();
      }),
    close: () => {
      clearTimeout(timer);
      socket.close();
    },
  };
}

function streamChannel(socket: Socket): Channel {
  let buffered = Buffer.alloc(0);
  const waiting = new Map<string, (message: StunMessage) => void>();
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (let length = messageLength(buffered); length !== undefined && buffered.length >= length; length = messageLength(buffered)) {
      const message = decode(buffered.subarray(0, length));
      buffered = buffered.subarray(length);
      if (message) waiting.get(message.transactionId.toString('hex'))?.(message);
    }
  });
  socket.on('error', () => {});
  return {
    exchange: (request, transactionId) =>
      new Promise((resolve) => {
        waiting.set(transactionId.toString('hex'), resolve);
        socket.write(request);
      }),
    close: () => socket.destroy(),
  };
}
