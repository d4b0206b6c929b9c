/**
 * The core package as a plugin author outside this repository gets it: built (tools/build-core.ts),
 * packed with `npm pack`, installed into a fresh folder's node_modules with its dependencies
 * beside it, then loaded by plain `node` and type-checked by `tsc` there. Only the public entry
 * points (`.`, `./testing`) may be reached. The worked example package is tools/example-package.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from '../host/service/testing/temp-dirs';
import { HOST_API_VERSION } from '../core/plugin';
import { TransportError } from '../core/errors';
import { TSC, installCore } from './testing/packages';

it('packs, installs in a fresh folder, and there plain node loads it and tsc checks a plugin against it', async () => {
  const folder = tempDir('whatnext-core-consumer-');
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'my-plugin', version: '1.0.0', type: 'module', private: true }));
  await installCore(join(folder, 'node_modules'));
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
}, 120_000);

it("a plugin's errors from its own copy of the package are the host's errors to instanceof", async () => {
  const folder = tempDir('whatnext-core-copy-');
  await installCore(join(folder, 'node_modules'));
  const built = (await import(join(folder, 'node_modules/@whatnext/core/dist/index.js'))) as typeof import('../core/index');
  expect(built.TransportError).not.toBe(TransportError);
  const thrown = new built.TransportError('channel', 'the socket went away');
  expect(thrown instanceof TransportError).toBe(true);
  expect(new TransportError('open', 'closed') instanceof built.TransportError).toBe(true);
  expect(new built.LinkError('bad', 'not a link') instanceof TransportError).toBe(false);
}, 120_000);
