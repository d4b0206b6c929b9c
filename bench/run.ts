/**
 * `npm run bench [connections|mqtt|tcp|replication|fairness|page|scale|lab [case]]`: every benchmark, ours next to the raw libraries
 * in the same run. Prints one JSON object per measurement on its own line, then a table and
 * the notes (what each side is, what could not run and why).
 */
import { connectionBenchmarks, mqttBenchmarks } from './connections';
import { fairnessBenchmarks } from './fairness';
import { labBenchmarks } from './lab';
import { pageBenchmarks } from './page';
import { replicationBenchmarks } from './replication';
import { scaleBenchmarks } from './scale';
import { tcpBenchmarks } from './tcp';
import { table, type Measurement } from './stats';

const only = process.argv[2];
const results: Measurement[] = [];
const notes: string[] = [];
const log = (m: Measurement) => {
  results.push(m);
  process.stdout.write(`${JSON.stringify(m)}\n`);
};
/** Printed once, under the table. */
const note = (line: string) => void notes.push(line);

if (!only || only === 'connections') await connectionBenchmarks(log);
if (only === 'mqtt') await mqttBenchmarks(log);
if (!only || only === 'tcp') await tcpBenchmarks(log);
// `scale` alone runs replication and fairness too: its targets include theirs.
if (!only || only === 'replication' || only === 'scale') await replicationBenchmarks(log);
if (!only || only === 'fairness' || only === 'scale') await fairnessBenchmarks(log);
if (!only || only === 'scale') await scaleBenchmarks(log);
if (!only || only === 'page')
  await pageBenchmarks(log, note).catch((error: unknown) => note(`page: could not run: ${(error as Error).message.split('\n')[0]}`));
if (!only || only === 'lab') await labBenchmarks(log, note, process.argv[3]);

process.stdout.write(`\n${table(results)}\n${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}`);
// WebRTC bindings can keep native threads alive after every connection closed.
process.exit(0);
