/**
 * Plugins from the data folder, for the app as installed (no rebuild): npm packages installed
 * in it (`npm install --prefix <data folder> --ignore-scripts <package or tarballs>`) and named
 * in its `plugins.json`,
 *
 *   { "plugins": [{ "package": "whatnext-plugin-example-tcp", "options": { "host": "127.0.0.1" } }] }
 *
 * A package's code runs only once the user enabled it in settings (`enabledPlugins`), and only
 * from the next start: the plugin host loads plugins at start. Its package.json is read, never
 * run, to list it before. It default-exports its `definePlugin` factory, which is called with
 * the file's options. Whatever goes wrong (not installed, no such file, a throw at import, not
 * a plugin) fails that package alone, reported in `plugins.external`; the others load.
 */
import { readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { describeIssues } from '../../core/util/issues';
import type { PluginInstance } from '../../core/plugin';
import { WhatNextError, describe } from '../../core/errors';
import type { Logger } from '../../core/kernel/context';
import type { ErrorInfo, ExternalPlugin, ExternalPlugins } from '../../core/protocol/shapes';
import type { PluginStatus } from '../../core/kernel/host';
import { withTimeout } from '../../core/util/timeout';

export const PLUGINS_FILE = 'plugins.json';

/** An npm package name: no path of its own beyond a scope, so it stays in node_modules. */
const PackageName = z
  .string()
  .max(214)
  .regex(/^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/, 'an npm package name, like "whatnext-plugin-tcp" or "@me/whatnext-tcp"');

export const PluginsFile = z
  .object({
    plugins: z.array(z.object({ package: PackageName, options: z.record(z.string(), z.unknown()).optional() }).strict()).max(64),
  })
  .strict();
export type PluginsFile = z.infer<typeof PluginsFile>;

/** What is read of an installed package's package.json. */
const Manifest = z.object({
  name: z.string(),
  version: z.string().optional(),
  description: z.string().optional(),
  main: z.string().optional(),
  exports: z.unknown().optional(),
});
type Manifest = z.infer<typeof Manifest>;

export class DataFolderPlugins {
  readonly file: string;
  readonly modules: string;
  /** What this run loaded, by package: the plugin's name, or why it failed. */
  #loaded = new Map<string, { plugin: string } | { error: ErrorInfo }>();

  constructor(
    private readonly dataDir: string,
    private readonly log: Logger = () => {},
  ) {
    this.file = join(dataDir, PLUGINS_FILE);
    this.modules = join(dataDir, 'node_modules');
  }

  /** The packages plugins.json names (none when there is no file). */
  read(): { entries: PluginsFile['plugins']; problem?: ErrorInfo } {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [] };
      return { entries: [], problem: { code: 'plugins_file_invalid', message: `${this.file} cannot be read: ${describe(error)}` } };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return { entries: [], problem: { code: 'plugins_file_invalid', message: `${this.file} is not JSON: ${describe(error)}` } };
    }
    const parsed = PluginsFile.safeParse(json);
    if (!parsed.success)
      return { entries: [], problem: { code: 'plugins_file_invalid', message: `${this.file} is not of its shape:\n${describeIssues(parsed.error)}` } };
    const names = parsed.data.plugins.map((entry) => entry.package);
    const twice = names.find((name, index) => names.indexOf(name) !== index);
    if (twice) return { entries: [], problem: { code: 'plugins_file_invalid', message: `${this.file} names ${twice} twice.` } };
    return { entries: parsed.data.plugins };
  }

  /** Import the enabled packages and make their plugins; each failure is that package's alone.
   * `taken`: names of the plugins the app has already (a package's plugin may not take one). */
  async load(enabled: readonly string[], timeoutMs: number, taken: Iterable<string>): Promise<PluginInstance[]> {
    const names = new Set(taken);
    const { entries, problem } = this.read();
    if (problem) this.log('error', problem.message);
    const instances: PluginInstance[] = [];
    for (const entry of entries.filter((e) => enabled.includes(e.package))) {
      try {
        const instance = await withTimeout(
          this.#instantiate(entry.package, entry.options),
          timeoutMs,
          () => new WhatNextError('plugin_load_failed', `${entry.package} did not load within ${timeoutMs} ms.`),
        );
        const name = String(instance.definition.name);
        if (names.has(name)) {
          throw new WhatNextError('plugin_load_failed', `${entry.package} is the plugin "${name}", a name another plugin of this app has: it is not loaded.`);
        }
        names.add(name);
        instances.push(instance);
        this.#loaded.set(entry.package, { plugin: name });
        this.log('info', `loaded plugin ${name} from ${entry.package}`);
      } catch (error) {
        const failure =
          error instanceof WhatNextError ? error : new WhatNextError('plugin_load_failed', `${entry.package} could not be loaded: ${describe(error)}`);
        this.#loaded.set(entry.package, { error: failure.toJSON() });
        this.log('error', failure.message);
      }
    }
    return instances;
  }

  /** The packages plugins.json names now, each with its setting and what this run made of it:
   * a plugin the host refused or that failed since (`statuses`, the host's) is not loaded. */
  list(enabled: readonly string[], statuses: readonly PluginStatus[]): ExternalPlugins {
    const { entries, problem } = this.read();
    const plugins = entries.map(({ package: name }): ExternalPlugin => {
      let loaded = this.#loaded.get(name);
      const pluginName = loaded && 'plugin' in loaded ? loaded.plugin : undefined;
      const status = pluginName === undefined ? undefined : statuses.find((s) => s.name === pluginName);
      if (status?.state === 'failed') loaded = { error: { code: status.error?.code ?? 'plugin_error', message: status.error?.message ?? 'it failed' } };
      let manifest: Manifest | undefined;
      let missing: ErrorInfo | undefined;
      try {
        manifest = this.#manifest(name);
      } catch (error) {
        missing = (error as WhatNextError).toJSON(); // #manifest throws only WhatNextErrors
      }
      const error = loaded && 'error' in loaded ? loaded.error : missing;
      return {
        package: name,
        ...(manifest?.version !== undefined && { version: manifest.version }),
        ...(manifest?.description !== undefined && { description: manifest.description }),
        enabled: enabled.includes(name),
        loaded: loaded !== undefined && 'plugin' in loaded,
        ...(loaded && 'plugin' in loaded && { plugin: loaded.plugin }),
        ...(error && { error }),
      };
    });
    return { file: this.file, folder: this.dataDir, ...(problem && { problem }), plugins };
  }

  /** Whether plugins.json names this package. */
  names(name: string): boolean {
    return this.read().entries.some((entry) => entry.package === name);
  }

  #packageDir(name: string): string {
    return join(this.modules, ...name.split('/'));
  }

  #manifest(name: string): Manifest {
    let text: string;
    try {
      text = readFileSync(join(this.#packageDir(name), 'package.json'), 'utf8');
    } catch {
      throw new WhatNextError(
        'plugin_not_installed',
        `${name} is not installed in ${this.modules}: install it with npm install --prefix "${this.dataDir}" --ignore-scripts ${name} ` +
          `(or its tarball, with @whatnext/core's beside it when that is not on the registry)`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new WhatNextError('plugin_load_failed', `${name}'s package.json is not JSON: ${describe(error)}`);
    }
    const parsed = Manifest.safeParse(json);
    if (!parsed.success) throw new WhatNextError('plugin_load_failed', `${name}'s package.json is not one: ${describeIssues(parsed.error)}`);
    return parsed.data;
  }

  async #instantiate(name: string, options: Record<string, unknown> | undefined): Promise<PluginInstance> {
    const dir = this.#packageDir(name);
    const entry = resolve(dir, entryPoint(this.#manifest(name)));
    if (!entry.startsWith(dir + sep)) throw new WhatNextError('plugin_load_failed', `${name}'s entry point leads outside its folder.`);
    const module = (await import(pathToFileURL(entry).href)) as { default?: unknown };
    const exported = module.default;
    const instance = typeof exported === 'function' ? (exported as (options?: unknown) => unknown)(options) : exported;
    if (!isPluginInstance(instance)) {
      throw new WhatNextError(
        'plugin_load_failed',
        `${name} does not default-export a plugin: its entry point (${entry}) must \`export default\` the factory definePlugin returns.`,
      );
    }
    return instance;
  }
}

/** The file a package's `import` of its name loads: `exports["."]` (its import or default
 * condition), else `main`, else index.js. */
function entryPoint(manifest: Manifest): string {
  const exported = manifest.exports;
  const root = typeof exported === 'object' && exported !== null && '.' in exported ? (exported as Record<string, unknown>)['.'] : exported;
  const pick = (target: unknown): string | undefined => {
    if (typeof target === 'string') return target;
    if (typeof target !== 'object' || target === null) return undefined;
    const conditions = target as Record<string, unknown>;
    return pick(conditions.import) ?? pick(conditions.node) ?? pick(conditions.default);
  };
  return pick(root) ?? manifest.main ?? 'index.js';
}

function isPluginInstance(value: unknown): value is PluginInstance {
  if (typeof value !== 'object' || value === null) return false;
  const definition = (value as { definition?: unknown }).definition;
  return typeof definition === 'object' && definition !== null && typeof (definition as { setup?: unknown }).setup === 'function';
}
