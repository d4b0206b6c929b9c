/**
 * `npm run web` as a person runs it: with a renderer already built it starts on that build, and
 * builds nothing (the browser shell builds one only when there is none).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../service/testing/temp-dirs';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const BARE = fileURLToPath(new URL('../testing/fixtures/bare.config.ts', import.meta.url));
const MARKER = '<!doctype html><title>already built</title>';

const ends: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(ends.splice(0).map((end) => end()));
});

describe('npm run web', () => {
  it('serves the renderer already built, without building it again', async () => {
    const dist = tempDir('whatnext-web-dist-');
    writeFileSync(join(dist, 'index.html'), MARKER);
    // npm runs a shell that runs tsx: its own process group, ended as a whole.
    const args = ['run', 'web', '--', '--port', '0', '--name', 'Web', '--data-dir', tempDir('whatnext-web-data-'), '--config', BARE, '--dist', dist];
    const child = spawn('npm', args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    ends.push(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
      return exited;
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const address = /listening on (http:\/\/\S+)/.exec(output)?.[1];
        if (address) resolve(address);
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.once('exit', (code) => reject(new Error(`npm run web exited (${code}) before it listened:\n${output}`)));
    });

    expect(await (await fetch(url)).text()).toContain('already built');
    expect(output).toContain(`serving the renderer built`);
    expect(output).not.toMatch(/build:web\s*>|vite build|building/i);
  });
});
