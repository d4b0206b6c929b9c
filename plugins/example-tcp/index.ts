/**
 * Example third-party transport: frames over a TCP socket, length-prefixed. Written only
 * against `core`'s public contract, as an outside plugin author would; it exists to be copied.
 *
 * Signaling: the initiator listens on a port and signals an offer `{ host, port, nonce }`; the
 * responder answers, connects and sends the nonce first, so a stray connection is refused.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { TransportError, definePlugin, type Dial, type DialOptions, type Pipe, type Transport } from '@whatnext/core';

const TcpSignal = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('offer'), host: z.string().max(255), port: z.number().int().min(1).max(65535), nonce: z.string().regex(/^[0-9a-f]{32}$/) })
    .strict(),
  // Sent back so signaling sees one signal per side; the connection itself carries the proof.
  z.object({ type: z.literal('answer') }).strict(),
]);

export const TcpOptions = z.object({ host: z.string().default('127.0.0.1').describe('Address to listen on') }).strict();

export const exampleTcp = definePlugin({
  name: 'example-tcp',
  version: '1.0.0',
  api: '^2.0.0',
  description: 'Example transport: length-prefixed frames over TCP.',
  options: TcpOptions,
  setup(ctx, options) {
    ctx.registerTransport(createTcpTransport(options));
  },
});

/** What the service loads from a package named in the data folder's plugins.json. */
export default exampleTcp;

const MAX_FRAME = 64 * 1024;

export function createTcpTransport(options: z.output<typeof TcpOptions> = { host: '127.0.0.1' }): Transport {
  return { name: 'example-tcp', description: 'Length-prefixed frames over TCP', dial: (dial) => tcpDial(dial, options.host) };
}

function tcpDial(options: DialOptions, host: string): Dial {
  let server: Server | undefined;
  let resolvePipe!: (pipe: Pipe) => void;
  let rejectPipe!: (error: Error) => void;
  const pipe = new Promise<Pipe>((resolve, reject) => {
    resolvePipe = resolve;
    rejectPipe = reject;
  });
  const fail = (error: Error) => {
    server?.close();
    rejectPipe(error);
  };
  options.abort.addEventListener('abort', () => fail(new TransportError('signaling', 'aborted')), { once: true });
  options.stage('signaling');

  if (options.initiator) {
    const nonce = randomBytes(16).toString('hex');
    server = createServer((socket) => {
      // The first 32 bytes must be our nonce; anything else is not our peer.
      socket.once('readable', () => {
        const hello = socket.read(32) as Buffer | null;
        if (!hello || hello.toString() !== nonce) return socket.destroy();
        server?.close();
        resolvePipe(socketPipe(socket, options));
      });
    });
    server.on('error', (error) => fail(new TransportError('signaling', `cannot listen: ${error.message}`)));
    server.listen(0, host, () => {
      const address = server!.address();
      if (address && typeof address === 'object') options.sendSignal({ type: 'offer', host, port: address.port, nonce });
    });
  }

  return {
    pipe,
    signal(raw) {
      const parsed = TcpSignal.safeParse(raw);
      if (!parsed.success) throw new TransportError('signaling', 'not an example-tcp signal');
      const signal = parsed.data;
      if (options.initiator || signal.type !== 'offer') return; // the initiator waits for the peer to connect
      options.stage('channel');
      options.sendSignal({ type: 'answer' });
      const socket = connect(signal.port, signal.host, () => {
        socket.write(signal.nonce);
        resolvePipe(socketPipe(socket, options));
      });
      socket.once('error', (error) => fail(new TransportError('channel', `cannot connect: ${error.message}`)));
    },
  };
}

/** A pipe over a connected socket: 4-byte big-endian length, then the frame. */
function socketPipe(socket: Socket, { sink }: DialOptions): Pipe {
  socket.setNoDelay(true);
  let buffered: Buffer = Buffer.alloc(0);
  let ended = false;
  let closing = false;
  const end = (error?: Error) => {
    if (ended) return;
    ended = true;
    sink.closed(error);
  };
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    while (buffered.length >= 4) {
      const length = buffered.readUInt32BE(0);
      if (length > MAX_FRAME) return socket.destroy(new Error(`frame of ${length} bytes exceeds ${MAX_FRAME}`));
      if (buffered.length < 4 + length) break;
      sink.frame(new Uint8Array(buffered.subarray(4, 4 + length)));
      buffered = buffered.subarray(4 + length);
    }
  });
  socket.on('drain', () => sink.drain());
  socket.on('error', (error) => end(error));
  socket.on('close', (hadError) => end(hadError ? new Error('connection reset') : undefined));
  return {
    maxFrameSize: MAX_FRAME,
    lowWaterMark: 0,
    bufferedAmount: () => socket.writableLength,
    send(frame) {
      if (ended || closing || socket.destroyed) throw new TransportError('open', 'the pipe is closed');
      if (frame.byteLength > MAX_FRAME) throw new TransportError('open', `frame of ${frame.byteLength} bytes exceeds ${MAX_FRAME}`);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(frame.byteLength);
      socket.write(header);
      socket.write(frame);
    },
    close() {
      closing = true;
      socket.end();
    },
  };
}
