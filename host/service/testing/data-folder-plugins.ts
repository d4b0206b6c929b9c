/**
 * Plugin packages made on the spot in a data folder's node_modules, for tests of the plugins a
 * service loads from there (host/service/external-plugins.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { linkFromRepository } from '../../../tools/testing/packages';

/** A package in `dataDir/node_modules` whose entry point is `source` (zod beside it). */
export function installPackage(dataDir: string, name: string, source: string, manifest: Record<string, unknown> = {}): void {
  const modules = join(dataDir, 'node_modules');
  const dir = join(modules, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.2.3', type: 'module', exports: './main.js', ...manifest }));
  writeFileSync(join(dir, 'main.js'), source);
  linkFromRepository(modules, ['zod']);
}

/** A plugin with a protocol method of its own, to show it runs; each import of its module
 * leaves a mark in its folder (inside the data folder, which the service may write). */
export const GREETER = `
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
appendFileSync(new URL('./imported', import.meta.url), 'x');
export default (options) => ({
  rawOptions: options,
  definition: {
    name: 'greeter', version: '1.2.3', api: '^2.0.0', description: 'Says hello',
    options: z.object({ greeting: z.string() }).strict(),
    protocol: { methods: { 'greeter.hello': { params: z.object({}).strict(), result: z.object({ text: z.string() }) } }, events: {} },
    setup(ctx, options) { ctx.handle('greeter.hello', () => ({ text: options.greeting })); },
  },
});
`;
