/** The local PeerJS broker: in-process start/stop and the `npm run broker` entry. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBroker, type Broker } from './broker';

const brokers: Broker[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(brokers.splice(0).map((broker) => broker.close()));
});

async function started(options: Parameters<typeof startBroker>[0]): Promise<Broker> {
  const broker = await startBroker(options);
  brokers.push(broker);
  return broker;
}

/** Open a PeerJS client socket and resolve with the broker's first message, or the socket error. */
function firstMessage(broker: { port: number }, query: string): Promise<{ type: string; payload?: { msg?: string } } | Error> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${broker.port}/whatnext/peerjs?${query}`);
    socket.on('message', (data) => {
      resolve(JSON.parse(data.toString()));
      socket.terminate();
    });
    socket.on('error', (error) => resolve(error));
  });
}

describe('startBroker', () => {
  it("binds a free port unless told one, never the port of a developer's own broker (9000)", async () => {
    const broker = await started(undefined);
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.port).not.toBe(9000);
  });

  it('listens on a free loopback port, speaks the PeerJS protocol, and stops on close()', async () => {
    const broker = await started({ port: 0 });
    expect(broker).toMatchObject({ host: '127.0.0.1', path: '/whatnext', key: 'peerjs', secure: false });
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.url).toBe(`ws://127.0.0.1:${broker.port}/whatnext`);
    expect(await firstMessage(broker, 'key=peerjs&id=someone&token=abc')).toEqual({ type: 'OPEN' });
    expect(await firstMessage(broker, 'key=wrong&id=someone2&token=abc')).toEqual({ type: 'ERROR', payload: { msg: 'Invalid key provided' } });
    await broker.close();
    await broker.close(); // idempotent
    const after = await firstMessage(broker, 'key=peerjs&id=someone&token=abc');
    expect(after).toBeInstanceOf(Error);
    expect((after as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('reports a port that is taken, and refuses bad options', async () => {
    const first = await started({ port: 0 });
    await expect(startBroker({ port: first.port })).rejects.toThrow(/could not listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    await expect(startBroker({ host: 'not a host' })).rejects.toThrow(/broker host/);
    await expect(startBroker({ port: 70000 })).rejects.toThrow();
  });
});

describe('npm run broker', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`prints where it listens and exits 0 on ${signal}`, async () => {
      const script = fileURLToPath(new URL('./broker-cli.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', script, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let output = '';
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, sig) => resolve({ code, signal: sig })),
      );
      child.stderr.on('data', (data: Buffer) => (output += data.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (data: Buffer) => {
          output += data.toString();
          const match = /listening on (ws:\/\/127\.0\.0\.1:\d+\/whatnext)/.exec(output);
          if (match) resolve(match[1]!);
        });
        void exited.then(() => reject(new Error(`the broker exited before listening:\n${output}`)));
      });
      const port = Number(new URL(url).port);
      expect(await firstMessage({ port }, 'key=peerjs&id=cli&token=abc')).toEqual({ type: 'OPEN' });
      child.kill(signal);
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(output).toContain(`broker: ${signal}, stopping`);
    });
  }
});
