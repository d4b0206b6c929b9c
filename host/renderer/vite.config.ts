/**
 * Builds the renderer. Electron's main loads the output from disk (hence the relative base);
 * the browser shell builds the same app with its bridge added (host/web/vite.config.ts).
 */
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig, type PluginOption, type UserConfig } from 'vite';

export const RENDERER_ROOT = fileURLToPath(new URL('.', import.meta.url));

export function rendererConfig(options: { outDir: string; plugins?: PluginOption[] }): UserConfig {
  return {
    root: RENDERER_ROOT,
    base: './',
    plugins: [vue(), ...(options.plugins ?? [])],
    define: {
      __VUE_OPTIONS_API__: 'true',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    },
    build: {
      outDir: options.outDir,
      emptyOutDir: true,
      target: 'es2022',
      // Keep the app CSP-friendly: one stylesheet and module scripts, nothing inline.
      assetsInlineLimit: 0,
    },
    clearScreen: false,
  };
}

export default defineConfig(rendererConfig({ outDir: fileURLToPath(new URL('../../dist/renderer', import.meta.url)) }));
