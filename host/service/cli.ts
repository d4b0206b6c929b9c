/**
 * A headless peer in the terminal: `npm run peer -- --name Alice [--data-dir DIR] [--auto-approve]`.
 * Prints its peer id, then reads commands (or whtnxt:// links) line by line from stdin:
 *
 *   invite [method]              create an invite and print its link
 *   whtnxt://connect?...         open a link (asks for approval unless --auto-approve)
 *   approve <attempt> | reject <attempt>
 *   answer <attempt> <text>      answer a pending question (e.g. paste a reply code)
 *   send <connection> <channel> <text>
 *   list | quit
 *
 * The peer's service runs in its own process, as the app's does (fork.ts: bundled, with least
 * privilege); this process is a client of it, like the app's window.
 */
import { createInterface } from 'node:readline';
import { createClient } from '../../core/protocol/client';
import { describe } from '../../core/errors';
import { startServiceProcess } from './fork';
import { parseEntryArgs } from './options';

const print = (line: string) => process.stdout.write(`${line}\n`);
const options = parseEntryArgs(process.argv.slice(2));
let partial = '';
const service = await startServiceProcess({
  dataDir: options.dataDir,
  ...(options.name ? { name: options.name } : {}),
  ...(options.configPath ? { config: options.configPath } : {}),
  dev: options.dev,
  ...(options.approvalTimeoutMs ? { approvalTimeoutMs: options.approvalTimeoutMs } : {}),
  // The service's log, without its debug lines, as `[level] message`.
  log: (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (!line.startsWith('[service debug]')) process.stderr.write(`${line.replace(/^\[service (\w+)\]/, '[$1]')}\n`);
  },
});
const client = createClient(service.port);

let quitting: Promise<never> | undefined;
/** Ask the service to stop (it closes its connections), then exit with its exit code. */
const quit = () =>
  (quitting ??= (async () => {
    const asked = await client.request('service.shutdown', {}).then(
      () => true,
      () => false,
    );
    const code = await service.stop(10_000, { signal: !asked });
    process.exit(code ?? 1);
  })());
process.once('SIGTERM', () => void quit());
process.once('SIGINT', () => void quit());
void service.exited.then(({ code, signal }) => {
  if (quitting) return;
  process.stderr.write(`[error] the service stopped (code ${code}, signal ${signal})\n`);
  process.exit(1);
});

const status = await client.request('service.status', {});
print(`peer ${status.local.name} ${status.local.id}`);
print(`data ${status.dataDir}`);

client.on('attempt.updated', async (a) => {
  if (a.invite && a.state === 'connecting' && !a.question) print(`invite ${a.id} ${a.invite.link}`);
  if (a.question) print(`question ${a.id} ${a.question.id} ${a.question.label}`);
  for (const d of a.displays) if (d.code) print(`show ${a.id} ${d.title}: ${d.code}`);
  if (a.state === 'awaiting-approval') {
    if (options.autoApprove) await client.request('attempts.approve', { attemptId: a.id }).catch(() => undefined);
    else print(`request ${a.id} ${a.remote.name ?? 'someone'} (${a.remote.id ?? 'unknown id'}) via ${a.method}: approve ${a.id} | reject ${a.id}`);
  }
  if (a.error) print(`attempt ${a.id} ${a.state} at ${a.error.stage ?? a.stage}: ${a.error.message}`);
});
/** What was last printed of each connection: its state, and its path. */
const shown = new Map<string, { state: string; path: string }>();
client.on('connection.updated', (c) => {
  const before = shown.get(c.id);
  const path = c.stats.path
    ? `${c.stats.path.kind}${c.stats.path.relayProtocol ? ` over ${c.stats.path.relayProtocol}` : ''}${c.stats.path.local ? ` (${c.stats.path.local} ↔ ${c.stats.path.remote})` : ''}`
    : '';
  if (before?.state !== c.state)
    print(`connection ${c.id} ${c.state} ${c.remote.name} (${c.remote.id}) via ${c.method}/${c.transport}${c.closeReason ? `: ${c.closeReason.message}` : ''}`);
  if (path && before?.path !== path && c.state === 'open') print(`path ${c.id} ${path}`);
  if (c.state === 'closed' || c.state === 'failed') shown.delete(c.id);
  else shown.set(c.id, { state: c.state, path });
});
client.on('connection.message', (m) =>
  print(`message ${m.connectionId} ${m.channel} ${typeof m.message === 'string' ? m.message : JSON.stringify(m.message)}`),
);
client.on('plugin.error', (e) => print(`plugin-error ${e.plugin}: ${e.error.message}`));

const lines = createInterface({ input: process.stdin });
// stdin closing (a peer run with no terminal) does not stop the peer: `quit` or a signal does.
lines.on('line', async (line) => {
  const [command = '', ...args] = line.trim().split(/\s+/);
  try {
    if (/^whtnxt(-dev)?:/i.test(command)) {
      const attempt = await client.request('links.open', { link: command });
      print(`opened ${attempt.id} ${attempt.method} ${attempt.remote.name ?? ''}`);
    } else if (command === 'invite') await client.request('attempts.invite', args[0] ? { method: args[0] } : {});
    else if (command === 'approve') await client.request('attempts.approve', { attemptId: args[0] ?? '' });
    else if (command === 'reject') await client.request('attempts.reject', { attemptId: args[0] ?? '' });
    else if (command === 'answer') {
      const attempt = (await client.request('attempts.list', {})).find((a) => a.id === args[0]);
      await client.request('attempts.answer', { attemptId: args[0] ?? '', questionId: attempt?.question?.id ?? '', answer: args.slice(1).join(' ') });
    } else if (command === 'send') {
      await client.request('connections.listen', { connectionId: args[0] ?? '', channel: args[1] ?? '' });
      await client.request('connections.send', { connectionId: args[0] ?? '', channel: args[1] ?? '', message: args.slice(2).join(' ') });
    } else if (command === 'list') {
      for (const c of await client.request('connections.list', {})) print(`connection ${c.id} ${c.state} ${c.remote.name} via ${c.method}`);
      for (const a of await client.request('attempts.list', {})) print(`attempt ${a.id} ${a.role} ${a.state} ${a.stage}`);
    } else if (command === 'quit') void quit();
    else if (command) print(`error unknown command "${command}"`);
  } catch (error) {
    print(`error ${describe(error)}`);
  }
});
