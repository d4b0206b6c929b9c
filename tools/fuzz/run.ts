/**
 * `npm run fuzz -- [--inputs 100000] [--seed 1] [--concurrency 8]`: fuzz a real service and a
 * real browser shell (see harness.ts), print progress, then one line per figure and a JSON line.
 * Exits 1 if anything crashed, hung or answered untyped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runFuzz } from './harness';

const { values } = parseArgs({
  options: { inputs: { type: 'string', default: '100000' }, seed: { type: 'string', default: '1' }, concurrency: { type: 'string', default: '8' } },
});
const count = (name: string, value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new Error(`--${name} takes a whole number, not "${value}"`);
  return number;
};
const inputs = count('inputs', values.inputs);
const workDir = mkdtempSync(join(tmpdir(), 'whatnext-fuzz-'));
const started = Date.now();
const cpu = process.cpuUsage();
try {
  const report = await runFuzz({
    inputs,
    seed: count('seed', values.seed),
    concurrency: Math.max(1, count('concurrency', values.concurrency)),
    workDir,
    onProgress: (done, r) => {
      if (done % 1000 === 0)
        process.stderr.write(
          `${done}/${inputs} inputs: ${r.crashed} crashed, ${r.hung} hung, ${r.untyped} untyped (${Math.round((Date.now() - started) / 1000)} s)\n`,
        );
    },
  });
  const { rss } = report;
  console.log(`inputs   ${report.inputs} (seed ${report.seed})`);
  console.log(`crashed  ${report.crashed}`);
  console.log(`hung     ${report.hung}`);
  console.log(`untyped  ${report.untyped}`);
  console.log(
    `RSS MiB  service ${rss.service[0]} → ${rss.service[1]}, shell ${rss.shell[0]} → ${rss.shell[1]}, shell's service ${rss.shellService[0]} → ${rss.shellService[1]}`,
  );
  console.log(
    `time     ${Math.round((Date.now() - started) / 1000)} s wall, fuzzer CPU ${Math.round((process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6)} s`,
  );
  for (const finding of report.findings) console.log(`finding  #${finding.input} ${finding.kind}: ${finding.what}`);
  console.log(JSON.stringify({ fuzz: report }));
  process.exitCode = report.crashed + report.hung + report.untyped > 0 ? 1 : 0;
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
