import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import semver from 'semver';
import { HOST_API_VERSION, definePlugin } from '../plugin';
import { PluginError } from '../errors';
import { PluginHost } from './host';
import type { Transport } from '../contracts/transport';

const local = { id: '0123456789abcdefghijklmnop', name: 'Tester' };

const fakeTransport = (name: string): Transport => ({
  name,
  description: 'test transport',
  dial: () => {
    throw new Error('not dialled in these tests');
  },
});

function hostWith(...plugins: ReturnType<ReturnType<typeof definePlugin>>[]) {
  const errors: { plugin: string; error: { code: string; message: string; hook?: string } }[] = [];
  const host = new PluginHost({ plugins, local, pluginTimeoutMs: 200 });
  host.on('plugin-error', (e) => errors.push(e));
  return { host, errors };
}

describe('PluginHost', () => {
  it('loads plugins in order, runs init, and reports state transitions', async () => {
    const order: string[] = [];
    const a = definePlugin({
      name: 'a',
      version: '1.0.0',
      api: '^2.0.0',
      setup(ctx) {
        order.push('setup a');
        ctx.hooks.init.tapPromise(async () => void order.push('init a'));
      },
    });
    const b = definePlugin({
      name: 'b',
      version: '1.0.0',
      api: '^2.0.0',
      setup(ctx) {
        order.push('setup b');
        ctx.registerTransport(fakeTransport('tb'));
        ctx.hooks.init.tap(() => void order.push('init b'));
        ctx.hooks.shutdown.tapPromise(async () => void order.push('shutdown b'));
      },
    });
    const { host } = hostWith(a(), b());
    const states: string[] = [];
    host.on('state', (s) => states.push(s));
    await host.start();
    await host.stop();
    expect(order).toEqual(['setup a', 'setup b', 'init a', 'init b', 'shutdown b']);
    expect(states).toEqual(['starting', 'running', 'stopping', 'stopped']);
    expect(host.plugins().map((p) => [p.name, p.state, p.transports])).toEqual([
      ['a', 'active', []],
      ['b', 'active', ['tb']],
    ]);
  });

  it('hooks are one frozen object', () => {
    const { host } = hostWith();
    expect(Object.isFrozen(host.hooks)).toBe(true);
    expect(() => ((host.hooks as Record<string, unknown>).extra = 1)).toThrow();
  });

  it('tags an init failure with plugin and hook, withdraws its registrations, and keeps the others', async () => {
    const cause = new Error('boom');
    const broken = definePlugin({
      name: 'broken',
      version: '1.0.0',
      api: '^2.0.0',
      setup(ctx) {
        ctx.registerTransport(fakeTransport('bt'));
        ctx.hooks.init.tapPromise(async () => {
          throw cause;
        });
        ctx.hooks.shutdown.tap(() => {
          throw new Error('must be skipped: the plugin failed');
        });
      },
    });
    let healthyInit = false;
    const healthy = definePlugin({
      name: 'healthy',
      version: '1.0.0',
      api: '^2.0.0',
      setup: (ctx) => ctx.hooks.init.tap(() => void (healthyInit = true)),
    });
    const { host, errors } = hostWith(broken(), healthy());
    await host.start();
    expect(host.state).toBe('running');
    expect(healthyInit).toBe(true);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ plugin: 'broken', error: { code: 'plugin_error', hook: 'init' } });
    expect(errors[0]!.error.message).toContain('[plugin broken] hook init failed: boom');
    expect(host.transports.has('bt')).toBe(false);
    expect(host.plugins().find((p) => p.name === 'broken')).toMatchObject({ state: 'failed', transports: [] });
    await host.stop();
    expect(errors).toHaveLength(1);
  });

  it('a hanging async tap times out naming the plugin, and the host goes on', async () => {
    const hangs = definePlugin({
      name: 'hangs',
      version: '1.0.0',
      api: '^2.0.0',
      setup: (ctx) => ctx.hooks.init.tapPromise(() => new Promise<void>(() => {})),
    });
    const { host, errors } = hostWith(hangs());
    await host.start();
    expect(host.state).toBe('running');
    expect(errors[0]).toMatchObject({ plugin: 'hangs', error: { code: 'plugin_timeout', hook: 'init' } });
    expect(errors[0]!.error.message).toBe('[plugin hangs] hook init did not finish within 200 ms');
    await host.stop();
  });

  it('errors from non-isolated hooks propagate as PluginError with the original as cause', async () => {
    const cause = new TypeError('bad decision');
    const policy = definePlugin({
      name: 'policy',
      version: '1.0.0',
      api: '^2.0.0',
      setup: (ctx) =>
        ctx.hooks.approve.tapPromise(async () => {
          throw cause;
        }),
    });
    const { host } = hostWith(policy());
    await host.start();
    const request = { attemptId: 'x', method: 'm', direction: 'incoming' as const, remote: {} };
    const error = await host.hooks.approve.promise(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ plugin: 'policy', hook: 'approve', cause });
    await host.stop();
  });

  it('callback-style taps are guarded too', async () => {
    const cb = definePlugin({
      name: 'cb',
      version: '1.0.0',
      api: '^2.0.0',
      setup: (ctx) => ctx.hooks.init.tapAsync((done) => done(new Error('callback failure'))),
    });
    const { host, errors } = hostWith(cb());
    await host.start();
    expect(errors[0]).toMatchObject({ plugin: 'cb', error: { hook: 'init' } });
    expect(errors[0]!.error.message).toContain('callback failure');
    await host.stop();
  });

  it('refuses bad options naming the plugin and the field', async () => {
    const typed = definePlugin({
      name: 'typed',
      version: '1.0.0',
      api: '^2.0.0',
      options: z.object({ port: z.number().int().min(1).max(65535) }),
      setup() {},
    });
    const { host, errors } = hostWith(typed({ port: 70000 }));
    await host.start();
    const message = errors[0]!.error.message;
    expect(message).toContain('[plugin typed] has invalid options');
    expect(message).toContain('port');
    expect(host.plugins()[0]).toMatchObject({ name: 'typed', state: 'failed' });
  });

  it('refuses an unsupported API range, saying which versions are supported', async () => {
    const future = definePlugin({ name: 'future', version: '1.0.0', api: '^3.0.0', setup() {} });
    const { host, errors } = hostWith(future());
    await host.start();
    expect(errors[0]!.error.message).toContain(`supports host API "^3.0.0", but this host provides API ${HOST_API_VERSION}`);
    expect(errors[0]!.error.message).toContain('"^2.0.0"');
  });

  it('refuses a plugin that needs a newer minor than this host provides, and one written for the old major', async () => {
    const nextMinor = `^${semver.inc(HOST_API_VERSION, 'minor')}`;
    const newer = definePlugin({ name: 'newer', version: '1.0.0', api: nextMinor, setup() {} });
    const old = definePlugin({ name: 'old', version: '1.0.0', api: '^1.0.0', setup() {} });
    const { host, errors } = hostWith(newer(), old());
    await host.start();
    expect(errors.map((e) => e.plugin)).toEqual(['newer', 'old']);
    expect(errors[0]!.error.message).toContain(`supports host API "${nextMinor}", but this host provides API ${HOST_API_VERSION}`);
    expect(errors[1]!.error.message).toContain(`supports host API "^1.0.0", but this host provides API ${HOST_API_VERSION}`);
  });

  it('refuses duplicate plugin names and duplicate registrations', async () => {
    const one = definePlugin({ name: 'one', version: '1.0.0', api: '^2.0.0', setup: (ctx) => ctx.registerTransport(fakeTransport('t')) });
    const two = definePlugin({ name: 'two', version: '1.0.0', api: '^2.0.0', setup: (ctx) => ctx.registerTransport(fakeTransport('t')) });
    const { host, errors } = hostWith(one(), one(), two());
    await host.start();
    expect(errors.map((e) => e.plugin)).toEqual(['one', 'two']);
    expect(errors[0]!.error.message).toContain('listed twice');
    expect(errors[1]!.error.message).toContain('transport "t" is already registered by plugin one');
    expect(host.transports.has('t')).toBe(true);
    expect(host.plugins().map((p) => [p.name, p.state])).toEqual([
      ['one', 'active'],
      ['two', 'failed'],
    ]);
  });

  it('publishes each plugin’s options as JSON Schema', async () => {
    const opts = definePlugin({
      name: 'opts',
      version: '1.0.0',
      api: '^2.0.0',
      options: z.object({ host: z.string().default('127.0.0.1').describe('Broker host') }),
      setup() {},
    });
    const { host } = hostWith(opts());
    await host.start();
    expect(host.plugins()[0]!.optionsSchema).toMatchObject({ properties: { host: { type: 'string', description: 'Broker host' } } });
    expect(host.pluginOptions('opts')).toEqual({ host: '127.0.0.1' });
  });

  it('a setup that throws synchronously is tagged with hook "setup"', async () => {
    const bad = definePlugin({
      name: 'bad',
      version: '1.0.0',
      api: '^2.0.0',
      setup() {
        throw new Error('no');
      },
    });
    const { host, errors } = hostWith(bad());
    await host.start();
    expect(errors[0]).toMatchObject({ plugin: 'bad', error: { hook: 'setup', code: 'plugin_error' } });
  });
});
