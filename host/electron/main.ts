/**
 * Electron main: thin glue. Every decision lives in a plain module that is tested in Node
 * (shell, supervisor, deep-links, link-queue, main-window, window-security, app-protocol,
 * quit-guard); this file only hands them Electron's objects.
 */
import { BrowserWindow, MessageChannelMain, app, ipcMain, protocol, session, shell, utilityProcess, type MessagePortMain } from 'electron';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appImageDesktopEntry, userDesktopEntryPath } from './appimage';
import { createAppProtocolHandler } from './app-protocol';
import { bundlePaths, serviceArgs, serviceExecArgv } from './layout';
import { createLog } from './logger';
import { createMainWindow } from './main-window';
import { createQuitGuard } from './quit-guard';
import { protocolClientArgs } from './schemes';
import { createShell } from './shell';
import { HELLO_CHANNEL, PORT_CHANNEL, SERVICE_CHANNEL } from './shell-channels';
import { APP_PROTOCOL, APP_START_URL, contentSecurityPolicy, devServerOrigin, guardSession, isTrustedIpcSender, trustedOrigins } from './window-security';

const packaged = app.isPackaged;
// A development build keeps its own profile, peer identity and single-instance lock.
if (!packaged) app.setPath('userData', join(app.getPath('appData'), 'WhatNext-dev'));

const log = createLog({ file: join(app.getPath('logs'), 'main.log'), console: !packaged });
const paths = bundlePaths(dirname(fileURLToPath(import.meta.url)));
const devServerUrl = packaged ? undefined : process.env.WHATNEXT_RENDERER_URL;
const devOrigin = devServerUrl ? devServerOrigin(devServerUrl) : undefined;
const origins = trustedOrigins(devOrigin);
const csp = contentSecurityPolicy(devOrigin);

if (!app.requestSingleInstanceLock()) {
  // Another instance runs: it received our argv (and links) through `second-instance`.
  app.quit();
} else {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_PROTOCOL, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

  let window: BrowserWindow | undefined;
  const liveWindow = () => (window && !window.isDestroyed() ? window : undefined);
  const focusWindow = () => {
    const current = liveWindow();
    if (!current) return;
    if (current.isMinimized()) current.restore();
    current.focus();
  };

  const core = createShell<MessagePortMain>({
    packaged,
    fork: () =>
      utilityProcess.fork(paths.service, serviceArgs({ dataDir: app.getPath('userData'), dev: !packaged }), {
        serviceName: 'WhatNext service',
        stdio: 'pipe',
        execArgv: serviceExecArgv({ appPath: app.getAppPath(), dataDir: app.getPath('userData'), nodeVersion: process.versions.node }),
      }),
    createChannel: () => new MessageChannelMain(),
    deliverPort: (port) => {
      const current = liveWindow();
      if (current) current.webContents.postMessage(PORT_CHANNEL, null, [port]);
      else port.close();
    },
    sendStatus: (status) => liveWindow()?.webContents.send(SERVICE_CHANNEL, status),
    onLink: focusWindow,
    log,
  });

  // Links: cold start now, a second launch, and macOS open-url (which may fire before ready).
  app.on('open-url', (event, url) => {
    event.preventDefault();
    core.handleOpenUrl(url);
  });
  app.on('second-instance', (_event, argv) => {
    core.handleArgv(argv);
    focusWindow();
  });
  core.handleArgv(process.argv);

  ipcMain.on(HELLO_CHANNEL, (event) => {
    if (!isTrustedIpcSender(event, { webContents: liveWindow()?.webContents, origins })) {
      return log('warn', `ignored ${HELLO_CHANNEL} from an untrusted sender (${event.senderFrame?.url ?? 'no frame'})`);
    }
    core.rendererConnected();
  });

  app.on('web-contents-created', (_event, contents) => {
    // Any webContents, not only our window's: no webviews, no popups.
    contents.on('will-attach-webview', (attach) => attach.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  app.on('before-quit', createQuitGuard({ stop: () => core.stop(), quit: () => app.quit(), log: (m) => log('warn', m) }));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  const openWindow = () =>
    createMainWindow({
      BrowserWindow,
      shell,
      preloadPath: paths.preload,
      startUrl: devOrigin && devServerUrl ? devServerUrl : APP_START_URL,
      log: (m) => log('warn', m),
      onRendererGone: () => core.rendererDisconnected(),
    });

  await app.whenReady();
  registerLinkScheme();
  protocol.handle(APP_PROTOCOL, createAppProtocolHandler({ root: paths.renderer, csp }));
  guardSession(session.defaultSession, { trustedOrigins: origins, csp });
  core.start();
  window = openWindow();
  app.on('activate', () => {
    if (!liveWindow()) window = openWindow();
  });
}

function registerLinkScheme(): void {
  const [scheme, execPath, args] = protocolClientArgs({
    packaged,
    defaultApp: process.defaultApp ?? false,
    execPath: process.execPath,
    argv: process.argv,
  });
  if (process.platform === 'linux' && packaged && process.env.APPIMAGE) writeAppImageEntry(scheme, process.env.APPIMAGE);
  const registered = execPath ? app.setAsDefaultProtocolClient(scheme, execPath, args) : app.setAsDefaultProtocolClient(scheme);
  if (!registered) log('warn', `could not register as the ${scheme}:// handler (see host/electron/README.md)`);
}

function writeAppImageEntry(scheme: string, appImagePath: string): void {
  const file = userDesktopEntryPath(process.env, homedir());
  const entry = appImageDesktopEntry({ appImagePath, scheme });
  try {
    if (existsSync(file) && readFileSync(file, 'utf8') === entry) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, entry);
  } catch (error) {
    log('warn', `could not write ${file}: ${String(error)}`);
  }
}
