/** Builds the renderer the shells serve (dist/web) once before the e2e files run. */
import { build } from 'vite';
import { webConfig } from '../vite.config';

export default async function setup(): Promise<void> {
  await build({ ...webConfig(), configFile: false, logLevel: 'warn' });
}
