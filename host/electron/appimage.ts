/**
 * An AppImage is a single file that nothing installs, so no .desktop file announces its
 * `x-scheme-handler/whtnxt` and the OS has nobody to hand links to. When running as an AppImage
 * (the runtime sets $APPIMAGE), main writes a user-level desktop entry pointing at the AppImage
 * before registering the scheme; `setAsDefaultProtocolClient` then makes it the default handler
 * through xdg-settings. A deb install has its own entry under /usr/share/applications.
 */
import { join } from 'node:path';

/** The desktop file name: package.json's "desktopName", which Electron also uses on Linux. */
export const DESKTOP_FILE_NAME = 'whatnext.desktop';

export function appImageDesktopEntry(options: { appImagePath: string; scheme: string; productName?: string }): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    `Name=${options.productName ?? 'WhatNext'}`,
    'Comment=Peer-to-peer collaborative playlists',
    `Exec=${quoteExec(options.appImagePath)} %U`,
    'Terminal=false',
    'Categories=AudioVideo;Network;',
    `MimeType=x-scheme-handler/${options.scheme};`,
    'StartupWMClass=whatnext',
    'X-AppImage-Integrated=true',
    '',
  ].join('\n');
}

/** Where the entry goes: $XDG_DATA_HOME/applications (default ~/.local/share/applications). */
export function userDesktopEntryPath(env: NodeJS.ProcessEnv, home: string): string {
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'applications', DESKTOP_FILE_NAME);
}

/** Quoting for the Exec key (desktop entry spec): inside double quotes `"`, `` ` ``, `$` and `\`
 * are backslash-escaped; the value is then a string whose own escapes double every backslash;
 * `%` is doubled so a path is never read as a field code. */
export function quoteExec(path: string): string {
  const argument = `"${path.replace(/[\\"`$]/g, (c) => `\\${c}`)}"`;
  return argument.replace(/\\/g, '\\\\').replace(/%/g, '%%');
}
