/**
 * The security checklist as main applies it: the window factory main calls, with recording
 * fakes for BrowserWindow, webContents, session and shell.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAppProtocolHandler, appFilePath } from './app-protocol';
import { createMainWindow, type WindowOptions } from './main-window';
import { createQuitGuard } from './quit-guard';
import { appImageDesktopEntry, quoteExec, userDesktopEntryPath } from './appimage';
import {
  APP_ORIGIN,
  APP_START_URL,
  contentSecurityPolicy,
  devServerOrigin,
  guardSession,
  isTrustedIpcSender,
  trustedOrigins,
  type GuardedSession,
} from './window-security';
import { tempDir } from '../service/testing/temp-dirs';

type Listener = (...args: never[]) => unknown;

class FakeWebContents {
  listeners = new Map<string, Listener[]>();
  openHandler: ((details: { url: string }) => { action: string }) | undefined;
  on(event: string, listener: Listener) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }) {
    this.openHandler = handler;
  }
  fire(event: string, ...args: unknown[]) {
    for (const listener of this.listeners.get(event) ?? []) (listener as (...a: unknown[]) => unknown)(...args);
  }
}

class FakeWindow {
  static created: FakeWindow[] = [];
  webContents = new FakeWebContents();
  loaded: string[] = [];
  shown = false;
  handlers = new Map<string, () => void>();
  constructor(readonly options: WindowOptions) {
    FakeWindow.created.push(this);
  }
  loadURL(url: string) {
    this.loaded.push(url);
    return Promise.resolve();
  }
  once(event: string, listener: () => void) {
    this.handlers.set(event, listener);
    return this;
  }
  on(event: string, listener: () => void) {
    this.handlers.set(event, listener);
    return this;
  }
  show() {
    this.shown = true;
  }
}

function navigationEvent(url: string) {
  const event = { url, prevented: false, preventDefault: () => void (event.prevented = true) };
  return event;
}

function openWindow() {
  const opened: string[] = [];
  const log: string[] = [];
  let gone = 0;
  const window = createMainWindow({
    BrowserWindow: FakeWindow,
    shell: { openExternal: async (url) => void opened.push(url) },
    preloadPath: '/app/out/preload/preload.cjs',
    startUrl: APP_START_URL,
    log: (m) => log.push(m),
    onRendererGone: () => void gone++,
  });
  return { window, opened, log, gone: () => gone };
}

describe('main window', () => {
  it('is isolated, sandboxed, without Node, webviews or insecure content, and uses the bundled preload', () => {
    const { window } = openWindow();
    expect(window.options.webPreferences).toEqual({
      preload: '/app/out/preload/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    });
    expect(window.options.show).toBe(false);
    window.handlers.get('ready-to-show')!();
    expect(window.shown).toBe(true);
  });

  it('loads only the app:// entry', () => {
    const { window } = openWindow();
    expect(window.loaded).toEqual(['app://whatnext/index.html']);
  });

  it('blocks every navigation; https and mailto targets open in the OS instead', () => {
    const { window, opened } = openWindow();
    for (const url of [
      'https://example.com/x',
      'http://example.com',
      'file:///etc/passwd',
      'app://whatnext/other.html',
      'mailto:a@example.com',
      'javascript:alert(1)',
    ]) {
      const event = navigationEvent(url);
      window.webContents.fire('will-navigate', event);
      expect(event.prevented, url).toBe(true);
    }
    expect(opened).toEqual(['https://example.com/x', 'mailto:a@example.com']);
  });

  it('denies every new window, handing only https/mailto to the OS', () => {
    const { window, opened, log } = openWindow();
    const handler = window.webContents.openHandler!;
    expect(handler({ url: 'https://example.com/help' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'whtnxt://connect?v=1&via=manual' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'smb://evil/share' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://example.com/help']);
    expect(log.filter((m) => m.startsWith('blocked'))).toHaveLength(3);
  });

  it('refuses webviews and reports a renderer that went away', () => {
    const { window, gone } = openWindow();
    const event = navigationEvent('');
    window.webContents.fire('will-attach-webview', event);
    expect(event.prevented).toBe(true);
    window.webContents.fire('render-process-gone');
    window.handlers.get('closed')!();
    expect(gone()).toBe(2);
  });
});

describe('session', () => {
  function fakeSession() {
    const recorded: {
      request?: Parameters<GuardedSession['setPermissionRequestHandler']>[0];
      check?: Parameters<GuardedSession['setPermissionCheckHandler']>[0];
      headers?: Parameters<GuardedSession['webRequest']['onHeadersReceived']>[0];
    } = {};
    const session: GuardedSession = {
      setPermissionRequestHandler: (handler) => void (recorded.request = handler),
      setPermissionCheckHandler: (handler) => void (recorded.check = handler),
      webRequest: { onHeadersReceived: (listener) => void (recorded.headers = listener) },
    };
    return { session, recorded };
  }

  it('denies every permission except clipboard writes from our own origin', () => {
    const { session, recorded } = fakeSession();
    guardSession(session, { trustedOrigins: [APP_ORIGIN], csp: contentSecurityPolicy() });
    const ask = (permission: string, url: string) => {
      let granted: boolean | undefined;
      recorded.request!(null, permission, (g) => (granted = g), { requestingUrl: url });
      return granted;
    };
    expect(ask('media', 'app://whatnext/index.html')).toBe(false);
    expect(ask('notifications', 'app://whatnext/index.html')).toBe(false);
    expect(ask('openExternal', 'app://whatnext/index.html')).toBe(false);
    expect(ask('clipboard-sanitized-write', 'app://whatnext/index.html')).toBe(true);
    expect(ask('clipboard-sanitized-write', 'https://evil.example')).toBe(false);
    expect(recorded.check!(null, 'geolocation', 'app://whatnext')).toBe(false);
    expect(recorded.check!(null, 'clipboard-sanitized-write', 'app://whatnext')).toBe(true);
  });

  it('adds the CSP header to our own responses (the dev server) and leaves others alone', () => {
    const { session, recorded } = fakeSession();
    const csp = contentSecurityPolicy('http://localhost:5173');
    guardSession(session, { trustedOrigins: trustedOrigins('http://localhost:5173'), csp });
    let response: { responseHeaders?: Record<string, string[] | string> } | undefined;
    recorded.headers!({ url: 'http://localhost:5173/src/main.ts', responseHeaders: { 'Content-Type': ['text/javascript'] } }, (r) => (response = r));
    expect(response!.responseHeaders).toEqual({ 'Content-Type': ['text/javascript'], 'Content-Security-Policy': [csp] });
    recorded.headers!({ url: 'https://elsewhere.example/', responseHeaders: {} }, (r) => (response = r));
    expect(response!.responseHeaders).toEqual({});
  });

  it('has a CSP that allows only our own scripts and no connections elsewhere', () => {
    const csp = contentSecurityPolicy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy('http://localhost:5173')).toContain("connect-src 'self' http://localhost:5173 ws://localhost:5173");
  });

  it('trusts a dev server only on loopback', () => {
    expect(devServerOrigin('http://localhost:5173/')).toBe('http://localhost:5173');
    expect(devServerOrigin('http://127.0.0.1:5173')).toBe('http://127.0.0.1:5173');
    expect(devServerOrigin('http://192.168.1.10:5173')).toBeUndefined();
    expect(devServerOrigin('https://evil.example')).toBeUndefined();
    expect(devServerOrigin('file:///tmp/index.html')).toBeUndefined();
    expect(trustedOrigins(undefined)).toEqual([APP_ORIGIN]);
  });
});

describe('IPC sender checks', () => {
  const ours = { id: 1 };
  const mainFrame = (url: string) => ({ url, parent: null });
  const expected = { webContents: ours, origins: [APP_ORIGIN] };

  it('accepts only the main frame of our window at our origin', () => {
    expect(isTrustedIpcSender({ sender: ours, senderFrame: mainFrame('app://whatnext/index.html') }, expected)).toBe(true);
    expect(isTrustedIpcSender({ sender: { id: 2 }, senderFrame: mainFrame('app://whatnext/index.html') }, expected)).toBe(false);
    expect(isTrustedIpcSender({ sender: ours, senderFrame: { url: 'app://whatnext/index.html', parent: {} } }, expected)).toBe(false);
    expect(isTrustedIpcSender({ sender: ours, senderFrame: mainFrame('https://evil.example/') }, expected)).toBe(false);
    expect(isTrustedIpcSender({ sender: ours, senderFrame: mainFrame('app://other/index.html') }, expected)).toBe(false);
    expect(isTrustedIpcSender({ sender: ours, senderFrame: mainFrame('file:///app/index.html') }, expected)).toBe(false);
    expect(isTrustedIpcSender({ sender: ours, senderFrame: null }, expected)).toBe(false);
    expect(isTrustedIpcSender({ sender: undefined, senderFrame: mainFrame('app://whatnext/') }, { webContents: undefined, origins: [APP_ORIGIN] })).toBe(false);
  });
});

describe('app:// protocol', () => {
  const root = tempDir('whatnext-renderer-');
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>WhatNext</title>');
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
  const csp = contentSecurityPolicy();
  const handle = createAppProtocolHandler({ root, csp });

  it('serves the built renderer with its content type and the CSP', async () => {
    const page = await handle(new Request('app://whatnext/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(csp);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<title>WhatNext</title>');
    const script = await handle(new Request('app://whatnext/assets/app.js'));
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await (await handle(new Request('app://whatnext/'))).text()).toContain('WhatNext');
  });

  it('never leaves its folder or serves another host', async () => {
    for (const url of [
      'app://whatnext/../../etc/passwd',
      'app://whatnext/%2e%2e/%2e%2e/etc/passwd',
      'app://whatnext/assets/..%2f..%2f..%2fetc%2fpasswd',
      'app://other/index.html',
      'app://whatnext/%00',
    ]) {
      const file = appFilePath(url, root);
      expect(file === undefined || file.startsWith(root), url).toBe(true);
    }
    const read: string[] = [];
    const recording = createAppProtocolHandler({ root, csp, readFile: (path) => (read.push(path), readFile(path)) });
    for (const url of ['app://whatnext/../../etc/passwd', 'app://whatnext/%2e%2e/%2e%2e/etc/passwd', 'app://whatnext/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      expect(await (await recording(new Request(url))).text()).not.toContain('root:');
    }
    expect(read.length).toBeGreaterThan(0);
    expect(read.every((path) => path.startsWith(root))).toBe(true);
    expect((await handle(new Request('app://other/index.html'))).status).toBe(404);
    expect((await handle(new Request('app://whatnext/assets/missing.js'))).status).toBe(404);
    expect((await handle(new Request('app://whatnext/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });

  it('answers a client-side route with the app', async () => {
    expect(await (await handle(new Request('app://whatnext/settings'))).text()).toContain('<title>WhatNext</title>');
  });
});

describe('quit guard', () => {
  it('holds the first quit until the service stopped, then quits once', async () => {
    const calls: string[] = [];
    let finishStop!: () => void;
    const stopped = new Promise<void>((resolve) => (finishStop = resolve));
    const quitCalled = new Promise<void>((resolve) => {
      const guard = createQuitGuard({ stop: () => (calls.push('stop'), stopped), quit: () => (calls.push('quit'), resolve(), guard(navigationEvent(''))) });
      const first = navigationEvent('');
      guard(first);
      const second = navigationEvent('');
      guard(second);
      expect([first.prevented, second.prevented]).toEqual([true, true]);
    });
    finishStop();
    await quitCalled;
    expect(calls).toEqual(['stop', 'quit']);
  });
});

describe('AppImage desktop entry', () => {
  it('declares the scheme handler and quotes the AppImage path', () => {
    const entry = appImageDesktopEntry({ appImagePath: '/home/me/Apps/WhatNext 1.0.AppImage', scheme: 'whtnxt' });
    expect(entry).toContain('Exec="/home/me/Apps/WhatNext 1.0.AppImage" %U\n');
    expect(entry).toContain('MimeType=x-scheme-handler/whtnxt;\n');
    expect(quoteExec('/a/$b`c"d%e')).toBe('"/a/\\\\$b\\\\`c\\\\"d%%e"');
    expect(userDesktopEntryPath({}, '/home/me')).toBe('/home/me/.local/share/applications/whatnext.desktop');
    expect(userDesktopEntryPath({ XDG_DATA_HOME: '/data' }, '/home/me')).toBe('/data/applications/whatnext.desktop');
  });
});
