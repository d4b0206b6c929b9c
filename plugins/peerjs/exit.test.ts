/**
 * A process that used the plugin exits by itself once its hosts stop: everything the plugin
 * opened is released by the shutdown hook (an open native peer connection from @roamhq/wrtc
 * would keep Node running).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { startBroker, type Broker } from './broker';

let broker: Broker | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await broker?.close();
});

it('a process that connected through the broker exits with code 0 after its hosts stop', async () => {
  broker = await startBroker({ port: 0 });
  const output: string[] = [];
  let stoppedAt: number | undefined;
  child = fork(fileURLToPath(new URL('./testing/exit-child.ts', import.meta.url)), [String(broker.port)], {
    execArgv: ['--import', 'tsx'],
    silent: true,
  });
  child.stdout!.on('data', (data: Buffer) => output.push(data.toString()));
  child.stderr!.on('data', (data: Buffer) => output.push(data.toString()));
  child.on('message', (message: { stopped?: boolean }) => {
    if (message.stopped) stoppedAt = performance.now();
  });
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child!.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const exitedAt = performance.now();
  // Measured, not asserted: the time from "hosts stopped" to the process exit.
  console.log(
    `peerjs exit test: child exited ${stoppedAt === undefined ? '(never reported stopping)' : `${Math.round(exitedAt - stoppedAt)} ms after its hosts stopped`}`,
  );
  expect({ code, signal, output: output.join('') }).toEqual({ code: 0, signal: null, output: 'exchanged ping/pong\n' });
  expect(stoppedAt).toBeDefined();
});
