/**
 * A headless peer in the terminal: `npm run peer -- --name Alice [--data-dir DIR] [--auto-approve]
 * [--verbose]`. Prints its peer id, then reads commands line by line from stdin (`help` lists
 * them): connecting (invite, open a link, approve...) and playlists (create, share, add, import,
 * watch...).
 *
 * The peer's service runs in its own process, as the app's does (host/service/fork.ts: bundled,
 * with least privilege); this process is a client of it, like the app's window. Quiet by default:
 * the service's warnings and errors only; `--verbose` shows its whole log.
 */
import { createInterface } from 'node:readline';
import { createClient } from '../../core/protocol/client';
import { startServiceProcess } from '../service/fork';
import { parseEntryArgs } from '../service/options';
import { playlistsProtocol, type WithPlaylists } from '../../plugins/rxdb/protocol';
import { connectionCommands, dispatcher } from './commands';
import { pluginCommands } from './plugins';
import { playlistCommands } from './playlists';
import { printEvents } from './events';
import { watchChanges } from './watch';

const print = (line: string) => process.stdout.write(`${line}\n`);
const options = parseEntryArgs(process.argv.slice(2));
const shown = options.verbose ? /^\[service (debug|info|warn|error)\]/ : /^\[service (warn|error)\]/;
let partial = '';
const service = await startServiceProcess({
  dataDir: options.dataDir,
  ...(options.name ? { name: options.name } : {}),
  ...(options.configPath ? { config: options.configPath } : {}),
  dev: options.dev,
  ...(options.approvalTimeoutMs ? { approvalTimeoutMs: options.approvalTimeoutMs } : {}),
  // The service's log as `[level] message`: lines it continues (a stack) follow their first.
  log: (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (shown.test(line)) process.stderr.write(`${line.replace(/^\[service (\w+)\]/, '[$1]')}\n`);
  },
});
const client = createClient<WithPlaylists>(service.port, { protocols: [playlistsProtocol] });

let quitting: Promise<never> | undefined;
/** Ask the service to stop (it closes its connections), then exit with its exit code. */
const quit = () =>
  void (quitting ??= (async () => {
    const asked = await client.request('service.shutdown', {}).then(
      () => true,
      () => false,
    );
    const code = await service.stop(10_000, { signal: !asked });
    process.exit(code ?? 1);
  })());
process.once('SIGTERM', quit);
process.once('SIGINT', quit);
void service.exited.then(({ code, signal }) => {
  if (quitting) return;
  process.stderr.write(`[error] the service stopped (code ${code}, signal ${signal})\n`);
  process.exit(1);
});

const status = await client.request('service.status', {});
print(`peer ${status.local.name} ${status.local.id}`);
print(`data ${status.dataDir}`);
print('type `help` for the commands');

const names = new Map<string, string>([[status.local.id, 'you']]);
const nameOf = (peerId: string) => names.get(peerId) ?? peerId;
printEvents(client, print, { autoApprove: options.autoApprove, learnName: (id, name) => void names.set(id, name) });
for (const peer of await client.request('peers.known', {})) names.set(peer.id, peer.name);

const watcher = watchChanges(client, print, status.local.id, nameOf);
// A peer whose config has no playlists (no rxdb plugin) still connects; its playlist commands say so.
watcher.known(await client.request('playlists.list', {}).catch(() => []));
const run = dispatcher([...connectionCommands(client, print, quit), ...playlistCommands(client, print, watcher), ...pluginCommands(client, print)], print);
// Lines run one after another, as typed: a paste of several commands keeps its order.
let queue = Promise.resolve();
// stdin closing (a peer run with no terminal) does not stop the peer: `quit` or a signal does.
createInterface({ input: process.stdin }).on('line', (line) => void (queue = queue.then(() => run(line))));
