/**
 * The Electron security checklist as data and small functions, so that a test can check what
 * main applies (https://www.electronjs.org/docs/latest/tutorial/security):
 * isolated, sandboxed renderers without Node; a strict CSP; no navigation, no new windows, no
 * webviews; external links only to https/mailto and only through the OS; no permissions but
 * clipboard writes; IPC accepted only from our own window's main frame at our own origin.
 */

export const APP_PROTOCOL = 'app';
export const APP_HOST = 'whatnext';
export const APP_ORIGIN = `${APP_PROTOCOL}://${APP_HOST}`;
export const APP_START_URL = `${APP_ORIGIN}/index.html`;

/** webPreferences for every window; `preload` is the bundled preload.cjs. */
export function secureWebPreferences(preload: string) {
  return {
    preload,
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
  } as const;
}

/**
 * The page may run only its own scripts and talk to nothing: every byte to a peer goes through
 * the service. Inline styles stay allowed (Vue and its component styles set them); inline and
 * remote scripts do not. In development the Vite dev server's origin (and its HMR socket) is
 * added.
 */
export function contentSecurityPolicy(devServerOrigin?: string): string {
  const self = devServerOrigin ? `'self' ${devServerOrigin}` : "'self'";
  const hmr = devServerOrigin ? ` ${devServerOrigin.replace(/^http/, 'ws')}` : '';
  return [
    "default-src 'none'",
    `script-src ${self}`,
    `style-src ${self} 'unsafe-inline'`,
    `img-src ${self} data: blob:`,
    `font-src ${self} data:`,
    `connect-src ${self}${hmr}`,
    "object-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The origin of a URL as Chromium sees it, also for our custom scheme (for which Node's
 * WHATWG URL would say "null"). */
export function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.host ? `${parsed.protocol}//${parsed.host}` : undefined;
  } catch {
    return undefined;
  }
}

/** A URL the user may open outside the app (in the browser or mail client), or undefined. */
export function externalUrlToOpen(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'mailto:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

export interface ShellLike {
  openExternal(url: string): Promise<void>;
}

export interface NavigationEventLike {
  preventDefault(): void;
  url: string;
}

/** The webContents hooks the checklist needs (Electron's `WebContents` fits). */
export interface GuardedWebContents {
  on(event: 'will-navigate', listener: (event: NavigationEventLike) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface GuardOptions {
  shell: ShellLike;
  log?: (message: string) => void;
}

function openOutside(url: string, { shell, log }: GuardOptions): void {
  const external = externalUrlToOpen(url);
  if (!external) return log?.(`blocked opening ${url.slice(0, 200)}`);
  shell.openExternal(external).catch((error: unknown) => log?.(`could not open ${external}: ${String(error)}`));
}

/** No navigation away from the app, no new windows, no webviews: https/mailto links go to the OS. */
export function guardWebContents(contents: GuardedWebContents, options: GuardOptions): void {
  contents.on('will-navigate', (event) => {
    event.preventDefault();
    openOutside(event.url, options);
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler((details) => {
    openOutside(details.url, options);
    return { action: 'deny' };
  });
}

/** The session hooks the checklist needs (Electron's `Session` fits). */
export interface GuardedSession {
  setPermissionRequestHandler(
    handler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl?: string }) => void) | null,
  ): void;
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string, requestingOrigin: string) => boolean) | null): void;
  webRequest: {
    onHeadersReceived(
      listener: (
        details: { url: string; responseHeaders?: Record<string, string[]> },
        callback: (response: { responseHeaders?: Record<string, string[] | string> }) => void,
      ) => void,
    ): void;
  };
}

/** Permissions the page may use: copying an invite link to the clipboard. Nothing else. */
export const ALLOWED_PERMISSIONS: readonly string[] = Object.freeze(['clipboard-sanitized-write']);

export function isPermissionAllowed(permission: string, origin: string | undefined, trustedOrigins: readonly string[]): boolean {
  return ALLOWED_PERMISSIONS.includes(permission) && origin !== undefined && trustedOrigins.includes(origin);
}

export function guardSession(session: GuardedSession, options: { trustedOrigins: readonly string[]; csp: string }): void {
  const { trustedOrigins, csp } = options;
  session.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(isPermissionAllowed(permission, originOf(details.requestingUrl ?? ''), trustedOrigins)),
  );
  session.setPermissionCheckHandler((_contents, permission, origin) => isPermissionAllowed(permission, originOf(origin) ?? origin, trustedOrigins));
  // app:// responses carry the CSP from the protocol handler; this covers the dev server.
  session.webRequest.onHeadersReceived((details, callback) => {
    const ours = trustedOrigins.includes(originOf(details.url) ?? '');
    callback({ responseHeaders: ours ? { ...details.responseHeaders, 'Content-Security-Policy': [csp] } : { ...details.responseHeaders } });
  });
}

/** What an IPC message says about its sender (Electron's `IpcMainEvent` fits). */
export interface IpcSenderLike {
  sender: unknown;
  senderFrame: { url: string; parent: unknown } | null;
}

/** Only the main frame of our own window, showing our own origin, may talk to main. */
export function isTrustedIpcSender(event: IpcSenderLike, expected: { webContents: unknown; origins: readonly string[] }): boolean {
  if (!expected.webContents || event.sender !== expected.webContents) return false;
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  const origin = originOf(frame.url);
  return origin !== undefined && expected.origins.includes(origin);
}

/** The renderer's origins: app:// always, plus the Vite dev server in development (local only). */
export function trustedOrigins(devServerUrl: string | undefined): string[] {
  const dev = devServerUrl ? devServerOrigin(devServerUrl) : undefined;
  return dev ? [APP_ORIGIN, dev] : [APP_ORIGIN];
}

/** A dev server URL is honoured only on loopback over http(s); anything else is ignored. */
export function devServerOrigin(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
    return loopback && (parsed.protocol === 'http:' || parsed.protocol === 'https:') ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}
