/**
 * The renderer as the browser shell serves it: the same app, with the page-side bridge that
 * creates `window.whatnext` (what Electron's preload does) loaded before it.
 *
 *   vite build --config host/web/vite.config.ts      → dist/web
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { rendererConfig } from '../renderer/vite.config';

export const WEB_DIST = fileURLToPath(new URL('../../dist/web', import.meta.url));
const BRIDGE_ID = '/@whatnext/bridge';
const BRIDGE_FILE = fileURLToPath(new URL('./bridge.ts', import.meta.url));

/** Adds `<script type="module" src="/@whatnext/bridge">` ahead of the app's own script. */
function webBridge(): Plugin {
  return {
    name: 'whatnext:web-bridge',
    resolveId: (id) => (id === BRIDGE_ID ? BRIDGE_FILE : undefined),
    transformIndexHtml: {
      order: 'pre',
      handler: () => [{ tag: 'script', attrs: { type: 'module', src: BRIDGE_ID }, injectTo: 'head-prepend' }],
    },
  };
}

export function webConfig() {
  return rendererConfig({ outDir: WEB_DIST, plugins: [webBridge()] });
}

export default defineConfig(webConfig());
