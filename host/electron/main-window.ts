/**
 * Creates the app window with the security checklist applied. main.ts passes Electron's
 * `BrowserWindow` and `shell`; the test passes recording fakes and checks what was applied.
 */
import { guardWebContents, secureWebPreferences, type GuardedWebContents, type ShellLike } from './window-security';

export interface WindowWebContents extends GuardedWebContents {
  on(event: 'will-navigate', listener: (event: { preventDefault(): void; url: string }) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  on(event: 'render-process-gone', listener: () => void): unknown;
}

export interface AppWindow {
  readonly webContents: WindowWebContents;
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): unknown;
  on(event: 'closed', listener: () => void): unknown;
  show(): void;
}

export type WindowOptions = {
  title: string;
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  show: boolean;
  autoHideMenuBar: boolean;
  backgroundColor: string;
  webPreferences: ReturnType<typeof secureWebPreferences>;
};

export interface MainWindowOptions<W extends AppWindow> {
  BrowserWindow: new (options: WindowOptions) => W;
  shell: ShellLike;
  preloadPath: string;
  /** app://whatnext/index.html, or the dev server in development. */
  startUrl: string;
  log?: (message: string) => void;
  /** The window closed or its renderer died: its service port is gone. */
  onRendererGone?: () => void;
}

export function mainWindowOptions(preloadPath: string): WindowOptions {
  return {
    title: 'WhatNext',
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 520,
    show: false, // shown on ready-to-show: no white flash
    autoHideMenuBar: true,
    backgroundColor: '#111318',
    webPreferences: secureWebPreferences(preloadPath),
  };
}

export function createMainWindow<W extends AppWindow>(options: MainWindowOptions<W>): W {
  const window = new options.BrowserWindow(mainWindowOptions(options.preloadPath));
  guardWebContents(window.webContents, { shell: options.shell, ...(options.log ? { log: options.log } : {}) });
  window.webContents.on('render-process-gone', () => options.onRendererGone?.());
  window.on('closed', () => options.onRendererGone?.());
  window.once('ready-to-show', () => window.show());
  window.loadURL(options.startUrl).catch((error: unknown) => options.log?.(`could not load ${options.startUrl}: ${String(error)}`));
  return window;
}
