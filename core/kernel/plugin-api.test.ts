/**
 * What plugins build on besides hooks: dependencies between plugins (order, missing, cycles,
 * failure spreading to dependents), services they offer each other, the methods and events
 * they add to the service protocol, and hooks tapped only under their own name.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineConfig, type ProtocolOf } from '../config';
import { PluginError, WhatNextError } from '../errors';
import { definePlugin, type PluginInstance } from '../plugin';
import type { ServiceClient } from '../protocol/client';
import { def, defineProtocol } from '../protocol/define';
import { PluginHost } from './host';

const local = { id: '0123456789abcdefghijklmnop', name: 'Tester' };

function hostWith(plugins: PluginInstance[], options: { reservedNames?: Set<string> } = {}) {
  const errors: { plugin: string; message: string }[] = [];
  const host = new PluginHost({ plugins, local, pluginTimeoutMs: 200, ...options });
  host.on('plugin-error', (e) => errors.push({ plugin: e.plugin, message: e.error.message }));
  return { host, errors, state: (name: string) => host.plugins().find((p) => p.name === name)?.state };
}

const plain = (name: string, extra: { dependencies?: string[]; setup?: Parameters<typeof definePlugin>[0]['setup'] } = {}) =>
  definePlugin({
    name,
    version: '1.0.0',
    api: '^2.0.0',
    ...(extra.dependencies ? { dependencies: extra.dependencies } : {}),
    setup: extra.setup ?? (() => {}),
  })();

describe('plugin dependencies', () => {
  it('sets a plugin up after those it depends on, whatever the config order, and runs their init first', async () => {
    const order: string[] = [];
    const record = (name: string) => (ctx: { hooks: { init: { tap(fn: () => void): void } } }) => {
      order.push(`setup ${name}`);
      ctx.hooks.init.tap(() => void order.push(`init ${name}`));
    };
    const { host } = hostWith([
      plain('app', { dependencies: ['store'], setup: record('app') }),
      plain('store', { dependencies: ['engine'], setup: record('store') }),
      plain('engine', { setup: record('engine') }),
    ]);
    await host.start();
    expect(order).toEqual(['setup engine', 'setup store', 'setup app', 'init engine', 'init store', 'init app']);
    expect(host.plugins().find((p) => p.name === 'app')?.dependencies).toEqual(['store']);
  });

  it('fails a plugin whose dependency is missing or failed, naming it, and plugins that depend on a failed one', async () => {
    const broken = definePlugin({
      name: 'broken',
      version: '1.0.0',
      api: '^2.0.0',
      setup: (ctx) =>
        ctx.hooks.init.tapPromise(async () => {
          throw new Error('disk full');
        }),
    })();
    const { host, errors, state } = hostWith([
      plain('orphan', { dependencies: ['nowhere'] }),
      broken,
      plain('user', { dependencies: ['broken'] }),
      plain('fine'),
    ]);
    await host.start();
    expect(state('orphan')).toBe('failed');
    expect(errors.find((e) => e.plugin === 'orphan')?.message).toBe('[plugin orphan] depends on plugin nowhere, which is not in the config');
    // `user` was set up (broken's setup succeeded) and fails with broken's init.
    expect(state('broken')).toBe('failed');
    expect(state('user')).toBe('failed');
    expect(errors.find((e) => e.plugin === 'user')?.message).toMatch(
      /^\[plugin user\] depends on plugin broken, which failed: \[plugin broken\] hook init failed: disk full/,
    );
    expect(state('fine')).toBe('active');
    expect(host.state).toBe('running');
  });

  it('refuses plugins that depend on each other in a cycle, and loads the rest', async () => {
    const { host, errors, state } = hostWith([plain('a', { dependencies: ['b'] }), plain('b', { dependencies: ['a'] }), plain('c')]);
    await host.start();
    expect([state('a'), state('b'), state('c')]).toEqual(['failed', 'failed', 'active']);
    expect(errors.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^\[plugin a\] depends on itself through a → b → a/)]));
  });
});

describe('plugin services', () => {
  it('gives a plugin the service of a dependency, and nothing it did not declare', async () => {
    const seen: unknown[] = [];
    const engine = plain('engine', { setup: (ctx) => ctx.provide({ speak: () => 'vroom' }) });
    const car = plain('car', {
      dependencies: ['engine'],
      setup: (ctx) => ctx.hooks.init.tap(() => void seen.push(ctx.use<{ speak(): string }>('engine').speak())),
    });
    const sneaky = plain('sneaky', { setup: (ctx) => void ctx.use('engine') });
    const { host, errors, state } = hostWith([engine, car, sneaky]);
    await host.start();
    expect(seen).toEqual(['vroom']);
    expect(state('sneaky')).toBe('failed');
    expect(errors.find((e) => e.plugin === 'sneaky')?.message).toContain('uses plugin engine, which it does not list in its dependencies');
  });
});

const echoProtocol = defineProtocol({
  methods: {
    'echo.say': def(z.object({ text: z.string().max(20) }).strict(), z.object({ said: z.string() })),
    'echo.lie': def(z.object({}).strict(), z.object({ said: z.string() })),
    'echo.fail': def(z.object({ typed: z.boolean() }).strict(), z.object({})),
    'echo.late': def(z.object({}).strict(), z.object({})),
  },
  events: { 'echo.said': z.object({ text: z.string() }) },
});

const echo = definePlugin({
  name: 'echo',
  version: '1.0.0',
  api: '^2.0.0',
  protocol: echoProtocol,
  setup(ctx) {
    ctx.handle('echo.say', ({ text }) => {
      ctx.emit('echo.said', { text });
      return { said: text };
    });
    ctx.handle('echo.lie', () => ({ said: 42 }) as never);
    ctx.handle('echo.fail', ({ typed }) => {
      throw typed ? new WhatNextError('echo_refused', 'The echo will not.') : new Error('plain failure');
    });
  },
});

describe('plugin protocol', () => {
  it('serves a plugin method: params and result checked, its events sent, its failures named', async () => {
    const { host } = hostWith([echo()]);
    const events: unknown[] = [];
    host.on('plugin-event', (e) => events.push(e));
    await host.start();
    expect(host.hasMethod('echo.say')).toBe(true);
    expect(await host.call('echo.say', { text: 'hi' })).toEqual({ said: 'hi' });
    expect(events).toEqual([{ plugin: 'echo', event: 'echo.said', data: { text: 'hi' } }]);
    await expect(host.call('echo.say', { text: 'x'.repeat(21) })).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('Invalid parameters for echo.say'),
    });
    await expect(host.call('echo.lie', {})).rejects.toMatchObject({
      code: 'plugin_error',
      message: expect.stringContaining('[plugin echo] hook method echo.lie failed: it returned an invalid result'),
    });
    await expect(host.call('echo.fail', { typed: true })).rejects.toMatchObject({ code: 'echo_refused', message: 'The echo will not.' });
    const plain = await host.call('echo.fail', { typed: false }).catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(PluginError);
    expect(plain).toMatchObject({ plugin: 'echo', hook: 'method echo.fail' });
    await expect(host.call('echo.late', {})).rejects.toMatchObject({ code: 'plugin_unavailable' });
    await expect(host.call('echo.nothing', {})).rejects.toMatchObject({ code: 'unknown_method' });
    expect(host.plugins()[0]).toMatchObject({ methods: ['echo.say', 'echo.lie', 'echo.fail', 'echo.late'], events: ['echo.said'] });
  });

  it('refuses a plugin whose protocol takes a name the service or another plugin has', async () => {
    const twin = definePlugin({
      name: 'twin',
      version: '1.0.0',
      api: '^2.0.0',
      protocol: defineProtocol({ methods: {}, events: { 'echo.said': z.null() } }),
      setup() {},
    });
    const squatter = definePlugin({
      name: 'squatter',
      version: '1.0.0',
      api: '^2.0.0',
      protocol: defineProtocol({ methods: { 'service.status': def(z.object({}), z.object({})) }, events: {} }),
      setup() {},
    });
    const { host, errors, state } = hostWith([echo(), twin(), squatter()], { reservedNames: new Set(['service.status']) });
    await host.start();
    expect([state('echo'), state('twin'), state('squatter')]).toEqual(['active', 'failed', 'failed']);
    expect(errors.map((e) => e.message)).toEqual([
      '[plugin twin] declares "echo.said", which plugin echo declares too',
      '[plugin squatter] declares "service.status", which is the service\'s own',
    ]);
  });

  it('types a client with the protocol of the plugins in a config', () => {
    const config = defineConfig({ plugins: [echo()] });
    type Client = ServiceClient<ProtocolOf<typeof config>>;
    expectTypeOf<Parameters<Client['request']>[0]>().toEqualTypeOf<'echo.say' | 'echo.lie' | 'echo.fail' | 'echo.late' | keyof import('../protocol').Methods>();
    expectTypeOf<Awaited<ReturnType<Client['request']>>>().toMatchTypeOf<{ said: string } | object>();
    expectTypeOf<Parameters<Client['on']>[0]>().toEqualTypeOf<'echo.said' | keyof import('../protocol').Events>();
  });
});

describe('hooks a plugin taps', () => {
  it('are tapped under the plugin’s own name, with no way to give another', async () => {
    const names: string[] = [];
    const honest = definePlugin({
      name: 'honest',
      version: '1.0.0',
      api: '^2.0.0',
      setup(ctx) {
        // The view's tap takes the function only; a name passed anyway is not a name.
        (ctx.hooks.init.tap as unknown as (name: string, fn: () => void) => void)('someone-else', () => {});
      },
    });
    const { host, errors } = hostWith([honest()]);
    host.hooks.init.intercept({ register: (tap) => (names.push(tap.name), tap) });
    await host.start();
    expect(names).toEqual(['honest']);
    expect(errors[0]?.message).toMatch(/^\[plugin honest\] hook init failed/);
  });
});
