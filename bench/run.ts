/**
 * `npm run bench`: every benchmark, ours next to the raw libraries in the same run. Prints a
 * table and one JSON object per measurement on its own line.
 */
import { connectionBenchmarks } from './connections';
import { replicationBenchmarks } from './replication';
import { table, type Measurement } from './stats';

const only = process.argv[2];
const results: Measurement[] = [];
const log = (m: Measurement) => {
  results.push(m);
  process.stdout.write(`${JSON.stringify(m)}\n`);
};

if (!only || only === 'connections') await connectionBenchmarks(log);
if (!only || only === 'replication') await replicationBenchmarks(log);

process.stdout.write(`\n${table(results)}\n`);
// WebRTC bindings can keep native threads alive after every connection closed.
process.exit(0);
