/**
 * Clean exit: a child Node process connects two peers with this transport, exchanges a
 * message, closes, and simply ends. It must exit by itself, with code 0. The time it took is
 * printed, not asserted (see measure.ts for the comparison with raw simple-peer).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./testing/exit-child.ts', import.meta.url));
const running = new Set<ChildProcess>();

afterEach(() => {
  // A case that failed half-way must not leave its child behind.
  for (const proc of running) proc.kill('SIGKILL');
  running.clear();
});

interface Report {
  engineLoadedBeforeDial: boolean;
  engineLoaded: boolean;
  closes: (string | null)[];
  leftovers: string[];
  connectedMs: number;
  doneAt: number;
}

function run(mode: 'close' | 'dispose'): Promise<{ report: Report; code: number | null; signal: NodeJS.Signals | null; exitMs: number }> {
  const proc = fork(child, [mode], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  running.add(proc);
  let report: Report | undefined;
  proc.on('message', (message) => (report = message as Report));
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      running.delete(proc);
      if (!report) return reject(new Error(`the child ended (code ${code}, signal ${signal}) without reporting`));
      resolve({ report, code, signal, exitMs: Date.now() - report.doneAt });
    });
  });
}

describe('clean exit', () => {
  it('a process that closes its pipes exits by itself with code 0', async () => {
    const { report, code, signal, exitMs } = await run('close');
    console.log(`[simple-peer] pipe.close(): child exited ${exitMs} ms after both sides saw the close (connect + exchange took ${report.connectedMs} ms)`);
    expect(report.engineLoadedBeforeDial).toBe(false); // @roamhq/wrtc loads on the first dial only
    expect(report.engineLoaded).toBe(true);
    expect(report.closes).toEqual([null, null]); // a clean close on both sides
    expect(report.leftovers).toEqual([]); // no timer left (raw simple-peer leaves a 5 s one)
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it('a process that leaves pipes open exits once the host stops (the plugin’s shutdown hook)', async () => {
    const { report, code, signal, exitMs } = await run('dispose');
    console.log(`[simple-peer] host.stop(): child exited ${exitMs} ms after the host stopped`);
    expect(report.engineLoadedBeforeDial).toBe(false);
    expect(report.closes).toEqual([null, null]);
    expect(report.leftovers).toEqual([]);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});
