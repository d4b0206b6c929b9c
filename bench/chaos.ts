/**
 * `npm run chaos`: failover between the PeerJS and the MQTT method under broker outages, over two
 * real service processes paired once, a real PeerServer and a real Mosquitto on loopback
 * (host/service/testing/failover-chaos.ts). Each case `CHAOS_RUNS` (20) times, then the figures:
 * which method carried each reconnection, p50, p95 and max, failures; and the p95 cost of a
 * first method that is down over one that is up (target: at most 1 s more).
 *
 *   reconnect   "Disconnect", then "Reconnect": the request → open on both sides
 *   restart     Bob stops and starts again, nobody presses anything: his start → open on both
 *   silent      the first method is up but Bob is not on it (his PeerServer is another one)
 *   both down   each side's methods' health, what "Reconnect" answers and how fast, what is left
 *               under way; then Mosquitto back → connected again by themselves
 */
import { ChaosLab, type Reconnected } from '../host/service/testing/failover-chaos';
import { percentile } from './stats';

const RUNS = Number(process.env.CHAOS_RUNS ?? 20);
const log = (line: string) => process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface Row {
  name: string;
  samples: number[];
  carried: Record<string, number>;
  failures: string[];
}
const rows: Row[] = [];

async function measure(name: string, runs: number, once: () => Promise<Reconnected>): Promise<Row> {
  const row: Row = { name, samples: [], carried: {}, failures: [] };
  rows.push(row);
  log(`${name}: ${runs} runs`);
  for (let i = 0; i < runs; i++) {
    try {
      const result = await once();
      row.samples.push(result.ms);
      row.carried[result.method] = (row.carried[result.method] ?? 0) + 1;
    } catch (error) {
      row.failures.push((error as Error).message.split('\n')[0]!.slice(0, 300));
    }
  }
  return row;
}

const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : '—');

function table(): void {
  const head = ['case', 'runs', 'carried by', 'p50', 'p95', 'max', 'failed'];
  const lines = rows.map((r) => [
    r.name,
    String(r.samples.length + r.failures.length),
    Object.entries(r.carried)
      .map(([method, n]) => `${method} ${n}`)
      .join(', '),
    ms(percentile(r.samples, 0.5)),
    ms(percentile(r.samples, 0.95)),
    ms(Math.max(...r.samples)),
    String(r.failures.length),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const print = (cells: string[]) => process.stdout.write(`${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
  print(head);
  for (const line of lines) print(line);
  for (const r of rows) for (const failure of r.failures.slice(0, 3)) process.stdout.write(`  ${r.name}: ${failure}\n`);
}

function cost(label: string, up: Row, down: Row): void {
  const extra = percentile(down.samples, 0.95) - percentile(up.samples, 0.95);
  process.stdout.write(
    `${label}: p95 ${ms(percentile(down.samples, 0.95))} vs ${ms(percentile(up.samples, 0.95))}: ${extra >= 0 ? '+' : ''}${Math.round(extra)} ms (target: at most +1000 ms) ${extra <= 1000 ? 'met' : 'NOT met'}\n`,
  );
}

async function main(): Promise<void> {
  const lab = await ChaosLab.create();
  try {
    await lab.order(['peerjs', 'mqtt']);
    const peerjsUp = await measure('reconnect, PeerJS first, both up', RUNS, () => lab.reconnect());
    await lab.down('peerjs');
    const peerjsDown = await measure('reconnect, PeerJS first, PeerJS broker down', RUNS, () => lab.reconnect());
    const restartMqtt = await measure('restart, PeerJS broker down', RUNS, () => lab.restartBob());
    await lab.up('peerjs');

    await lab.order(['mqtt', 'peerjs']);
    const mqttUp = await measure('reconnect, MQTT first, both up', RUNS, () => lab.reconnect());
    await lab.down('mqtt');
    const mqttDown = await measure('reconnect, MQTT first, Mosquitto down', RUNS, () => lab.reconnect());
    const restartPeerjs = await measure('restart, Mosquitto down', RUNS, () => lab.restartBob());
    await lab.up('mqtt');

    // Both down: nothing may wait, and each side must say which methods are down.
    await lab.down('peerjs');
    await lab.down('mqtt');
    const answers: number[] = [];
    const problems: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const down = await lab.allDown();
      answers.push(down.reconnect.ms);
      if (down.reconnect.error?.code !== 'cannot_reach') problems.push(`Reconnect answered ${JSON.stringify(down.reconnect)}`);
      if (down.underWay.length) problems.push(`under way: ${down.underWay.join(', ')}`);
      for (const [method, health] of Object.entries(down.health)) {
        if (method !== 'manual' && health.some((h) => h?.state === 'connected')) problems.push(`${method} listed as connected`);
      }
    }
    await lab.up('mqtt');
    const back = performance.now();
    const method = await lab.connectedAgain();
    const backMs = performance.now() - back;

    // Silent: PeerJS up for Alice, but Bob is registered on another PeerServer.
    await lab.up('peerjs');
    await lab.order(['peerjs', 'mqtt']);
    await measure('restart, Bob not on the first (silent)', 1, async () => lab.restartBob(await lab.elsewhere()));
    const silent = await measure('reconnect, first method up but silent', RUNS, () => lab.reconnect());

    process.stdout.write('\n');
    table();
    process.stdout.write(
      `both down (${RUNS} runs): "Reconnect" answered cannot_reach in p95 ${ms(percentile(answers, 0.95))} (max ${ms(Math.max(...answers))}); ` +
        `${problems.length ? `problems: ${problems.slice(0, 5).join('; ')}` : 'every side listed both brokers down, nothing left under way'}; ` +
        `Mosquitto back → connected again by themselves over ${method} in ${ms(backMs)}\n`,
    );
    cost('first method down, PeerJS first (PeerJS broker down → MQTT) vs up (PeerJS)', peerjsUp, peerjsDown);
    cost('first method down, MQTT first (Mosquitto down → PeerJS) vs up (MQTT)', mqttUp, mqttDown);
    cost('first method silent (given up after the bound → MQTT) vs up (PeerJS)', peerjsUp, silent);
    process.stdout.write(
      `restart rows (by themselves): p95 ${ms(percentile(restartMqtt.samples, 0.95))} over MQTT, ${ms(percentile(restartPeerjs.samples, 0.95))} over PeerJS\n`,
    );
  } finally {
    const codes = await lab.close();
    if (codes.some((code) => code !== 0)) log(`services exited with ${codes.join(', ')}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
