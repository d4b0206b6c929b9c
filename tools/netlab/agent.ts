/**
 * A small network agent, run inside a lab namespace (`LabNamespace.spawnNode`) and driven over
 * IPC: it opens UDP sockets and sends from them, reflects what it receives (answering each
 * datagram with the address it came from, as STUN does), asks a STUN server for a socket's
 * mapping, opens or accepts TCP connections, and asks a TURN server for a relay
 * (turn-client.ts). The router and coturn tests probe the lab with it.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createConnection, createServer, type Server } from 'node:net';
import { ATTRIBUTE, METHOD, decode, encode, isSuccess, newTransactionId, xorAddress, type Endpoint } from './stun';
import { allocate, type AllocateOptions, type AllocateResult } from './turn-client';

export type { Endpoint };

export type AgentCommand =
  | { type: 'udp-bind'; socket: string; address?: string; port?: number; reflect?: boolean }
  | { type: 'udp-send'; socket: string; to: Endpoint; text: string }
  | { type: 'stun'; socket: string; server: Endpoint; timeoutMs: number }
  | { type: 'tcp-listen'; address: string; port: number }
  | { type: 'tcp-connect'; to: Endpoint; timeoutMs: number }
  | ({ type: 'turn-allocate' } & AllocateOptions);

export type AgentReply =
  | { type: 'ready' }
  | { type: 'udp-bound'; socket: string; port: number }
  | { type: 'udp-received'; socket: string; from: Endpoint; text: string }
  | { type: 'stun-mapped'; socket: string; mapped: Endpoint }
  | { type: 'tcp-listening'; port: number }
  | { type: 'tcp-accepted'; from: Endpoint }
  | { type: 'tcp-connected'; local: Endpoint }
  | { type: 'tcp-failed'; reason: string }
  | { type: 'turn-allocated'; result: AllocateResult }
  | { type: 'error'; message: string };

const sockets = new Map<string, Socket>();
const servers: Server[] = [];
const reply = (message: AgentReply) => void (process.connected && process.send?.(message));

function handle(command: AgentCommand): void {
  switch (command.type) {
    case 'udp-bind': {
      const socket = createSocket('udp4');
      sockets.set(command.socket, socket);
      socket.on('error', (error) => reply({ type: 'error', message: `udp ${command.socket}: ${error.message}` }));
      socket.on('message', (data, from) => {
        // STUN answers are taken by the 'stun' command's own listener.
        if (decode(data)) return;
        const text = data.toString('utf8');
        // Two reflectors never answer each other's answers.
        if (command.reflect && !text.startsWith('mapped ')) socket.send(`mapped ${from.address}:${from.port}`, from.port, from.address);
        reply({ type: 'udp-received', socket: command.socket, from: { address: from.address, port: from.port }, text });
      });
      socket.bind(command.port ?? 0, command.address, () => reply({ type: 'udp-bound', socket: command.socket, port: socket.address().port }));
      return;
    }
    case 'udp-send':
      socketNamed(command.socket).send(command.text, command.to.port, command.to.address);
      return;
    case 'stun': {
      const socket = socketNamed(command.socket);
      const transactionId = newTransactionId();
      const request = encode(METHOD.binding, transactionId, []);
      // Retransmitted as RFC 8489 §6.2.1 says (doubling from 100 ms), until answered or out of time.
      let delay = 100;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (message: AgentReply) => {
        clearTimeout(timer);
        clearTimeout(deadline);
        socket.off('message', onMessage);
        reply(message);
      };
      const deadline = setTimeout(
        () => finish({ type: 'error', message: `no STUN answer from ${command.server.address}:${command.server.port} within ${command.timeoutMs} ms` }),
        command.timeoutMs,
      );
      const onMessage = (data: Buffer) => {
        const message = decode(data);
        const mapped =
          message?.transactionId.equals(transactionId) && isSuccess(message, METHOD.binding)
            ? xorAddress(message.attributes.get(ATTRIBUTE.xorMappedAddress))
            : undefined;
        if (mapped) finish({ type: 'stun-mapped', socket: command.socket, mapped });
      };
      const send = () => {
        socket.send(request, command.server.port, command.server.address);
        timer = setTimeout(send, delay);
        delay *= 2;
      };
      socket.on('message', onMessage);
      send();
      return;
    }
    case 'turn-allocate': {
      const { type: _, ...options } = command;
      void allocate(options).then((result) => reply({ type: 'turn-allocated', result }));
      return;
    }
    case 'tcp-listen': {
      const server = createServer((connection) => {
        reply({ type: 'tcp-accepted', from: { address: connection.remoteAddress ?? '', port: connection.remotePort ?? 0 } });
        connection.on('error', () => {});
        connection.end();
      });
      servers.push(server);
      server.on('error', (error) => reply({ type: 'error', message: `tcp listen: ${error.message}` }));
      server.listen(command.port, command.address, () => reply({ type: 'tcp-listening', port: command.port }));
      return;
    }
    case 'tcp-connect': {
      const connection = createConnection({ host: command.to.address, port: command.to.port, timeout: command.timeoutMs });
      connection.once('connect', () => {
        reply({ type: 'tcp-connected', local: { address: connection.localAddress ?? '', port: connection.localPort ?? 0 } });
        connection.end();
      });
      connection.once('timeout', () => {
        reply({ type: 'tcp-failed', reason: 'timeout' });
        connection.destroy();
      });
      connection.on('error', (error) => reply({ type: 'tcp-failed', reason: error.message }));
      return;
    }
  }
}

function socketNamed(name: string): Socket {
  const socket = sockets.get(name);
  if (!socket) throw new Error(`no socket "${name}"`);
  return socket;
}

process.on('message', (command: AgentCommand) => {
  try {
    handle(command);
  } catch (error) {
    reply({ type: 'error', message: (error as Error).message });
  }
});
// The test process gone: close everything, so that the process ends.
process.on('disconnect', () => {
  for (const socket of sockets.values()) socket.close();
  for (const server of servers) server.close();
});
reply({ type: 'ready' });
