/**
 * `npm run broker -- [--port 9000] [--host 127.0.0.1] [--path /whatnext] [--key peerjs]`:
 * a local PeerJS broker for development. Exits 0 on SIGINT/SIGTERM. (Its own file, so that
 * bundling broker.ts into the service never runs a command line.)
 */
import { parseArgs } from 'node:util';
import { BrokerOptions, startBroker } from './broker';

/** Where the app's default peerjs options look for a development broker. */
const DEFAULT_PORT = 9000;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      path: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write('Usage: npm run broker -- [--port 9000] [--host 127.0.0.1] [--path /whatnext] [--key peerjs]\n');
    return;
  }
  const options = BrokerOptions.safeParse({
    port: values.port !== undefined ? Number(values.port) : DEFAULT_PORT,
    ...(values.host !== undefined && { host: values.host }),
    ...(values.path !== undefined && { path: values.path }),
    ...(values.key !== undefined && { key: values.key }),
  });
  if (!options.success) {
    const issue = options.error.issues[0];
    process.stderr.write(`broker: bad --${String(issue?.path[0] ?? 'option')}: ${issue?.message}\n`);
    process.exit(2);
  }
  const broker = await startBroker(options.data);
  process.stdout.write(
    `PeerJS broker listening on ${broker.url} (key "${broker.key}")\n` +
      `peerjs plugin options: { host: '${broker.host}', port: ${broker.port}, path: '${broker.path}', key: '${broker.key}', secure: false }\n`,
  );
  const stop = (signal: string) => {
    process.stdout.write(`broker: ${signal}, stopping\n`);
    void broker.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`broker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
