/**
 * The preload's port handling over real MessageChannels (node:worker_threads), with a small
 * scripted service on the other end of each port.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ServiceError } from '../../core/protocol/client';
import type { EventData, EventName } from '../../core/protocol';
import { bridgeable, createRendererApi, type RendererApi } from './renderer-api';

const PEER = { id: '0123456789abcdefghijklmnop', name: 'Alice' };
const open: MessagePort[] = [];
afterEach(() => {
  for (const port of open.splice(0)) port.close();
});

/** One service end: answers status and settings, holds 'attempts.list' (to test in-flight). */
function scriptedService(pid: number) {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  const methods: string[] = [];
  let closed = false;
  const closedPromise = new Promise<void>((resolve) => port1.once('close', () => ((closed = true), resolve())));
  port1.on('message', (message: { id: number; method: string }) => {
    methods.push(message.method);
    const reply = (result: unknown) => port1.postMessage({ type: 'response', id: message.id, ok: true, result });
    if (message.method === 'service.status') reply({ state: 'running', local: PEER, dataDir: '/tmp/x', pid, permissions: { enforced: false, allowed: [] } });
    else if (message.method === 'settings.get') reply({ displayName: `from ${pid}`, autoAcceptKnownPeers: false });
    else if (message.method === 'links.open')
      port1.postMessage({
        type: 'response',
        id: message.id,
        ok: false,
        error: { code: 'link_invalid', message: 'This is not a valid link.', reason: 'not-a-url' },
      });
  });
  return {
    rendererSide: port2,
    methods,
    emit<E extends EventName>(event: E, data: EventData<E>) {
      port1.postMessage({ type: 'event', event, data });
    },
    get closed() {
      return closed;
    },
    closedPromise,
    crash: () => port1.close(),
  };
}

function nextEvent<E extends EventName>(api: RendererApi['api'], event: E, predicate: (data: EventData<E>) => boolean = () => true) {
  return new Promise<EventData<E>>((resolve) => {
    const off = api.on(event, (data) => {
      if (!predicate(data)) return;
      off();
      resolve(data);
    });
  });
}

describe('renderer API over a MessagePort', () => {
  it('queues requests made before the port arrives and sends them, in order, on the first port', async () => {
    const { api, attach } = createRendererApi();
    const first = api.request('settings.get', {});
    const second = api.request('service.status', {});
    const service = scriptedService(101);
    attach(service.rendererSide);
    expect(await first).toMatchObject({ displayName: 'from 101' });
    expect((await second).pid).toBe(101);
    expect(service.methods.slice(1)).toEqual(['settings.get', 'service.status']); // after the attach-time status
  });

  it('passes event data (and nothing else) to listeners; unsubscribe stops them', async () => {
    const { api, attach } = createRendererApi();
    const service = scriptedService(1);
    attach(service.rendererSide);
    const calls: unknown[][] = [];
    const off = api.on('settings.changed', (...args) => calls.push(args));
    const seen = nextEvent(api, 'settings.changed');
    service.emit('settings.changed', { displayName: 'Bob', autoAcceptKnownPeers: true });
    await seen;
    expect(calls).toEqual([[{ displayName: 'Bob', autoAcceptKnownPeers: true }]]);
    off();
    const again = nextEvent(api, 'settings.changed');
    service.emit('settings.changed', { displayName: 'Carol', autoAcceptKnownPeers: true });
    await again;
    expect(calls).toHaveLength(1);
  });

  it('replaces the port when a new one arrives: the old one is closed, subscriptions carry over, the new state is announced', async () => {
    const { api, attach } = createRendererApi();
    const states: string[] = [];
    api.on('host.state', (state) => states.push(state));
    const first = scriptedService(1);
    attach(first.rendererSide);
    expect((await api.request('service.status', {})).pid).toBe(1);

    const second = scriptedService(2);
    const announced = nextEvent(api, 'host.state');
    attach(second.rendererSide);
    await first.closedPromise;
    expect(await announced).toBe('running');
    expect((await api.request('service.status', {})).pid).toBe(2);
    const event = nextEvent(api, 'attempt.updated');
    second.emit('attempt.updated', { id: 'a1', method: 'manual', role: 'answerer', state: 'awaiting-approval', stage: 'signaling', remote: {}, displays: [] });
    expect((await event).id).toBe('a1');
    expect(states).toContain('running');
  });

  it('rejects a request in flight when its port dies, and queues the next until a new port', async () => {
    const renderer = createRendererApi();
    const service = scriptedService(1);
    renderer.attach(service.rendererSide);
    const inFlight = renderer.api.request('attempts.list', {}); // the scripted service never answers this
    service.crash();
    await expect(inFlight).rejects.toMatchObject({ code: 'disconnected' });
    expect(renderer.connected).toBe(false);
    const later = renderer.api.request('service.status', {});
    renderer.attach(scriptedService(2).rendererSide);
    expect((await later).pid).toBe(2);
  });

  it('follows the supervisor: restarting drops the port and says "starting"; failed rejects what waits', async () => {
    const renderer = createRendererApi();
    const service = scriptedService(1);
    renderer.attach(service.rendererSide);
    const states: string[] = [];
    renderer.api.on('host.state', (state) => states.push(state));

    renderer.setLifecycle({ state: 'restarting', exitCode: 137, delayMs: 500, recentCrashes: 1 });
    expect(renderer.connected).toBe(false);
    await service.closedPromise;
    const waiting = renderer.api.request('settings.get', {});
    renderer.setLifecycle({ state: 'failed', message: 'The WhatNext service stopped 5 times within 60 s.', recentCrashes: 5 });
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).info).toEqual({ code: 'service_failed', message: 'The WhatNext service stopped 5 times within 60 s.' });
    await expect(renderer.api.request('service.status', {})).rejects.toMatchObject({ code: 'service_failed' });
    expect(states).toEqual(['starting', 'stopped']);
  });

  it('refuses to queue without bound', async () => {
    const { api } = createRendererApi({ queueLimit: 2 });
    void api.request('settings.get', {});
    void api.request('settings.get', {});
    await expect(api.request('settings.get', {})).rejects.toMatchObject({ code: 'busy' });
  });
});

describe('bridgeable (what contextBridge exposes)', () => {
  it('rejects with plain objects that keep the code and details, which the bridge would drop from an Error', async () => {
    const renderer = createRendererApi();
    renderer.attach(scriptedService(1).rendererSide);
    const api = bridgeable(renderer.api);
    const error = await api.request('links.open', { link: 'nope' }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(Error);
    expect(error).toEqual({
      name: 'ServiceError',
      code: 'link_invalid',
      message: 'This is not a valid link.',
      info: { code: 'link_invalid', message: 'This is not a valid link.', reason: 'not-a-url' },
    });
    expect(Object.getPrototypeOf(error)).toBe(Object.prototype);
  });

  it('exposes exactly request and on; refuses names no method or event can have (which exist, plugins decide, and the service says)', async () => {
    const api = bridgeable(createRendererApi().api);
    expect(Object.keys(api).sort()).toEqual(['on', 'request']);
    await expect(api.request('shell exec' as never, {} as never)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(api.request('__proto__' as never, {} as never)).rejects.toMatchObject({ code: 'bad_request' });
    expect(() => api.on('ipc raw' as never, () => {})).toThrow(/no event named/);
    expect(typeof api.on('host.state', () => {})).toBe('function');
  });
});
