/**
 * The worked third-party example (plugins/example-tcp) as its author works on it outside this
 * repository: copied out, with the core package installed from its tarball (no core sources in
 * reach), type-checked and built by its own tsconfig, its own tests run by its own vitest
 * config against the built package, and its build loaded by plain `node`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { TSC, VITEST, exampleWorkspace } from './testing/packages';

/** The environment of a process outside this test run (no vitest worker variables). */
function outsideEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'NODE_OPTIONS' && key !== 'TEST'));
}

it('type-checks, builds and passes its own tests against the packed core, and plain node loads its build', async () => {
  const dir = await exampleWorkspace();
  expect(existsSync(join(dir, 'node_modules/@whatnext/core/dist/index.js'))).toBe(true);
  expect(existsSync(join(dir, 'node_modules/@whatnext/core/index.ts'))).toBe(false);

  // Its sources and tests, checked against the package's declarations.
  execFileSync(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir, stdio: 'pipe' });

  // The build keeps core as an import of the package: nothing of core is copied in.
  const built = readFileSync(join(dir, 'dist/index.js'), 'utf8');
  expect(built).toMatch(/from ['"]@whatnext\/core['"]/);
  expect(built).not.toContain('class WhatNextError');
  expect(existsSync(join(dir, 'dist/index.d.ts'))).toBe(true);

  // Its own tests, by its own config.
  const report = join(dir, 'report.json');
  execFileSync(process.execPath, [VITEST, 'run', '--reporter=json', `--outputFile=${report}`], { cwd: dir, env: outsideEnv(), stdio: 'pipe' });
  const results = JSON.parse(readFileSync(report, 'utf8')) as { numFailedTests: number; numPassedTests: number; testResults: { name: string }[] };
  expect(results.numFailedTests).toBe(0);
  expect(results.testResults.map((file) => file.name.slice(dir.length + 1)).sort()).toEqual(['conformance.test.ts', 'encryption.test.ts']);
  expect(results.numPassedTests).toBeGreaterThan(20);

  // Plain node: the built plugin, two of its pipes carrying a message between two of core's
  // connections, from the packages alone.
  writeFileSync(
    join(dir, 'pipes.mjs'),
    `import plugin, { createTcpTransport } from './dist/index.js';
import { createTestConnection, pairFromTransport } from '@whatnext/core/testing';
const a = createTestConnection({ local: { id: 'aaaaaaaaaaaaaaaaaaaaaaaaaa', name: 'A' } });
const b = createTestConnection({ local: { id: 'bbbbbbbbbbbbbbbbbbbbbbbbbb', name: 'B' } });
const pipes = await pairFromTransport(createTcpTransport(), { sinkA: a.sink, sinkB: b.sink });
a.attach(pipes.a);
b.attach(pipes.b);
await Promise.all([a.opened, b.opened]);
const got = new Promise((resolve) => b.channel('hello').onMessage(resolve));
await a.channel('hello').send({ over: 'tcp' });
const message = await got;
await a.close('done');
console.log(JSON.stringify({ plugin: plugin().definition.name, message, remote: a.remote?.id }));
`,
  );
  const carried = JSON.parse(execFileSync(process.execPath, ['pipes.mjs'], { cwd: dir, encoding: 'utf8' })) as Record<string, unknown>;
  expect(carried).toEqual({ plugin: 'example-tcp', message: { over: 'tcp' }, remote: 'bbbbbbbbbbbbbbbbbbbbbbbbbb' });
}, 300_000);
