/**
 * A TCP relay for tests, sitting where a middlebox or a relay server would: the dialling side
 * connects to it, it connects on to the listening side and passes every byte along. It keeps a
 * copy of everything it carried (what an operator could read), and can be told to alter the
 * next whole frame one way goes (the example's 4-byte length prefix, after the dialler's 32-byte
 * nonce): flip a bit, send it twice, drop it, or hold it back behind the one after it.
 */
import { connect, createServer, type Socket } from 'node:net';

export type Tampering = 'flip' | 'replay' | 'drop' | 'reorder';
/** `toListener`: frames from the dialling side (the responder) to the listening one (the initiator). */
export type Direction = 'toListener' | 'toDialer';

export interface FrameRelay {
  readonly port: number;
  /** Every byte carried so far, both ways. */
  carried(): Buffer;
  /** Alter the next frame going `direction`. */
  tamper(direction: Direction, how: Tampering): void;
  close(): Promise<void>;
}

const NONCE_BYTES = 32;

export async function startFrameRelay(target: { host: string; port: number }): Promise<FrameRelay> {
  const carried: Buffer[] = [];
  const pending: Partial<Record<Direction, Tampering>> = {};
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => {}); // the other end vanishing is part of every test
    socket.on('close', () => sockets.delete(socket));
    return socket;
  };

  /** Pass frames from `from` to `to`, applying any tampering asked for that direction. */
  const forward = (from: Socket, to: Socket, direction: Direction, skip: number) => {
    let buffered = Buffer.alloc(0);
    let toSkip = skip;
    let held: Buffer | undefined;
    from.on('data', (chunk: Buffer) => {
      carried.push(chunk);
      buffered = Buffer.concat([buffered, chunk]);
      if (toSkip > 0) {
        const head = buffered.subarray(0, Math.min(toSkip, buffered.length));
        to.write(head);
        toSkip -= head.length;
        buffered = buffered.subarray(head.length);
      }
      while (toSkip === 0 && buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
        const frame = Buffer.from(buffered.subarray(0, 4 + buffered.readUInt32BE(0)));
        buffered = buffered.subarray(frame.length);
        const how = pending[direction];
        delete pending[direction];
        if (held) {
          to.write(frame);
          to.write(held);
          held = undefined;
          continue;
        }
        switch (how) {
          case 'flip':
            frame.writeUInt8(frame.readUInt8(frame.length - 1) ^ 0x01, frame.length - 1);
            to.write(frame);
            break;
          case 'replay':
            to.write(frame);
            to.write(frame);
            break;
          case 'drop':
            break;
          case 'reorder':
            held = frame;
            break;
          default:
            to.write(frame);
        }
      }
    });
    from.on('end', () => to.end());
    from.on('close', () => to.destroy());
  };

  const server = createServer((dialer) => {
    track(dialer);
    dialer.pause();
    const listener = track(connect(target.port, target.host, () => dialer.resume()));
    forward(dialer, listener, 'toListener', NONCE_BYTES);
    forward(listener, dialer, 'toDialer', 0);
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the relay has no port');
  return {
    port: address.port,
    carried: () => Buffer.concat(carried),
    tamper: (direction, how) => void (pending[direction] = how),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
