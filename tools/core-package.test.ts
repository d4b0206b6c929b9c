/**
 * The core package as a plugin author outside this repository gets it: built (tools/build-core.ts),
 * packed with `npm pack`, unpacked into a fresh folder's node_modules with its dependencies beside
 * it, then loaded by plain `node` and type-checked by `tsc` there. Only the public entry points (`.`, `./testing`) may be reached.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { expect, it } from 'vitest';
import { buildCore } from './build-core';
import { tempDir } from '../host/service/testing/temp-dirs';
import { HOST_API_VERSION } from '../core/plugin';

const CORE = fileURLToPath(new URL('../core/', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

it('packs, installs in a fresh folder, and there plain node loads it, tsc checks a plugin against it, and the example transport built against it carries a message', async () => {
  await buildCore();
  const folder = tempDir('whatnext-core-consumer-');
  const tarball = execFileSync('npm', ['pack', CORE, '--pack-destination', folder, '--silent'], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'my-plugin', version: '1.0.0', type: 'module', private: true }));
  // Installed as npm would: the tarball's contents in node_modules/@whatnext/core, its
  // dependencies beside it (linked from this repository's install, the same versions, so no
  // registry is needed). The test kit's vitest is a peer this folder does not need.
  const modules = join(folder, 'node_modules');
  mkdirSync(join(modules, '@whatnext'), { recursive: true });
  execFileSync('tar', ['-xzf', join(folder, tarball), '-C', join(modules, '@whatnext')]);
  renameSync(join(modules, '@whatnext', 'package'), join(modules, '@whatnext', 'core'));
  const manifest = JSON.parse(readFileSync(join(CORE, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(manifest.dependencies)) {
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  const installed = JSON.parse(readFileSync(join(folder, 'node_modules/@whatnext/core/package.json'), 'utf8')) as { version: string };
  expect(installed.version).toBe(HOST_API_VERSION);

  writeFileSync(
    join(folder, 'check.mjs'),
    `import { definePlugin, HOST_API_VERSION, LinkError } from '@whatnext/core';
const plugin = definePlugin({ name: 'my-plugin', version: '1.0.0', api: '^2.0.0', setup: () => {} })();
const internal = await import('@whatnext/core/kernel/host').then(() => 'loaded', (error) => error.code);
console.log(JSON.stringify({ name: plugin.definition.name, version: HOST_API_VERSION, linkError: new LinkError('x', 'y').code, testing: import.meta.resolve('@whatnext/core/testing').endsWith('/dist/testing.js'), internal }));
`,
  );
  const out = JSON.parse(execFileSync(process.execPath, ['check.mjs'], { cwd: folder, encoding: 'utf8' })) as Record<string, unknown>;
  expect(out).toEqual({ name: 'my-plugin', version: HOST_API_VERSION, linkError: 'link_invalid', testing: true, internal: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });

  // A transport plugin written against the declarations, checked as its author's tsc would.
  writeFileSync(
    join(folder, 'plugin.ts'),
    `import { definePlugin, type Pipe, type Transport } from '@whatnext/core';
const transport: Transport = { name: 'mine', description: 'a transport', dial: () => { throw new Error('not here'); } };
export const mine = definePlugin({ name: 'mine', version: '1.0.0', api: '^2.2.0', setup: (ctx) => ctx.registerTransport(transport) });
export const frameSize = (pipe: Pipe): number => pipe.maxFrameSize;
`,
  );
  writeFileSync(
    join(folder, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, module: 'ESNext', moduleResolution: 'bundler', target: 'ES2022', noEmit: true, skipLibCheck: false, types: [] },
      files: ['plugin.ts'],
    }),
  );
  execFileSync(process.execPath, [TSC, '-p', folder], { cwd: folder, stdio: 'pipe' });

  // The worked example (plugins/example-tcp), built as its author would ship it: its imports of
  // core become the package's name, nothing of core bundled in. Plain node loads it, and two of
  // its pipes carry a message between two of core's connections, from the package alone.
  await build({
    entryPoints: [join(ROOT, 'plugins/example-tcp/index.ts')],
    outfile: join(folder, 'example-tcp.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    logLevel: 'warning',
    plugins: [
      {
        name: 'core-by-name',
        setup: (builder) => builder.onResolve({ filter: /(^|\/)core\/index$/ }, () => ({ path: '@whatnext/core', external: true })),
      },
    ],
  });
  const bundled = readFileSync(join(folder, 'example-tcp.js'), 'utf8');
  expect(bundled).toContain('from "@whatnext/core"');
  expect(bundled).not.toContain('class WhatNextError');
  // The test kit imports vitest (its suites): the author's tests have it.
  symlinkSync(join(ROOT, 'node_modules', 'vitest'), join(modules, 'vitest'));
  writeFileSync(
    join(folder, 'pipes.mjs'),
    `import { createTcpTransport, exampleTcp } from './example-tcp.js';
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
console.log(JSON.stringify({ plugin: exampleTcp().definition.name, message, remote: a.remote?.id }));
`,
  );
  const carried = JSON.parse(execFileSync(process.execPath, ['pipes.mjs'], { cwd: folder, encoding: 'utf8' })) as Record<string, unknown>;
  expect(carried).toEqual({ plugin: 'example-tcp', message: { over: 'tcp' }, remote: 'bbbbbbbbbbbbbbbbbbbbbbbbbb' });
}, 120_000);
