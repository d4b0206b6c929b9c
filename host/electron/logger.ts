/** Main's log: the console in development, and a file (the service's lines included) so that
 * a packaged app that gave up restarting its service can say why. */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

export function createLog(options: { file?: string; console?: boolean }): Log {
  let stream: ReturnType<typeof createWriteStream> | undefined;
  if (options.file) {
    try {
      mkdirSync(dirname(options.file), { recursive: true });
      stream = createWriteStream(options.file, { flags: 'a' });
      stream.on('error', () => (stream = undefined)); // logging must never take main down
    } catch {
      stream = undefined;
    }
  }
  return (level, message) => {
    const line = `${new Date().toISOString()} [${level}] ${message}`;
    stream?.write(`${line}\n`);
    if (options.console) (level === 'info' ? console.log : console.error)(line);
  };
}
