/**
 * Serves the built renderer on `app://whatnext/...` from one folder, and nothing else: no path
 * outside the folder, no other host, only GET/HEAD. Every response carries the CSP. A custom
 * scheme (rather than file://) gives the page a real origin that main can check IPC against,
 * and keeps file:// privileges away from it.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { APP_HOST } from './window-security';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export interface AppProtocolOptions {
  /** The built renderer (out/renderer). */
  root: string;
  csp: string;
  readFile?: (path: string) => Promise<Uint8Array>;
}

/** Resolves an app:// URL to a file inside `root`, or undefined when it is not ours. */
export function appFilePath(url: string, root: string): string | undefined {
  let parsed: URL;
  let pathname: string;
  try {
    parsed = new URL(url);
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return undefined;
  }
  if (parsed.host !== APP_HOST || pathname.includes('\0')) return undefined;
  const relative = normalize(pathname.endsWith('/') ? `${pathname}index.html` : pathname).replace(/^([/\\])+/, '');
  const base = normalize(root.endsWith(sep) ? root : root + sep);
  const file = join(base, relative);
  return file.startsWith(base) ? file : undefined;
}

export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  const readFile = options.readFile ?? ((path: string) => fsReadFile(path));
  const headers = (type: string) => ({
    'Content-Type': type,
    'Content-Security-Policy': options.csp,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  });
  const notFound = () => new Response('Not found', { status: 404, headers: headers('text/plain; charset=utf-8') });

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405, headers: headers('text/plain') });
    const file = appFilePath(request.url, options.root);
    if (!file) return notFound();
    const serve = async (path: string) => {
      const body = await readFile(path);
      return new Response(request.method === 'HEAD' ? null : (body as BodyInit), {
        status: 200,
        headers: headers(CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'),
      });
    };
    try {
      return await serve(file);
    } catch {
      // A client-side route (no extension) gets the app; a missing asset is a 404.
      if (extname(file) !== '') return notFound();
      return serve(join(options.root, 'index.html')).catch(notFound);
    }
  };
}
