/**
 * Which plugins the app loads, in order, with their options: like a vite.config.ts.
 * The service adds two approval policies of its own first (rate-limit, known-peers).
 */
import { defineConfig } from './core/config';

export default defineConfig({
  plugins: [],
});
