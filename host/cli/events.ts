/** What the terminal peer prints of the service's events, one line each, led by what it is. */
import type { PlaylistClient } from './playlists';

export function printEvents(
  client: PlaylistClient,
  print: (line: string) => void,
  options: { autoApprove: boolean; learnName(id: string, name: string): void },
): void {
  // An attempt is updated at every stage: each of its lines is printed once.
  const printed = new Map<string, Set<string>>();
  const once = (attemptId: string, line: string) => {
    let lines = printed.get(attemptId);
    if (!lines) printed.set(attemptId, (lines = new Set()));
    if (lines.has(line)) return false;
    lines.add(line);
    print(line);
    return true;
  };
  client.on('attempt.updated', async (a) => {
    if (a.invite && a.state === 'connecting' && !a.question) once(a.id, `invite ${a.id} ${a.invite.link}`);
    if (a.question) once(a.id, `question ${a.id} ${a.question.id} ${a.question.label}`);
    for (const d of a.displays) if (d.code) once(a.id, `show ${a.id} ${d.title}: ${d.code}`);
    if (a.state === 'awaiting-approval') {
      if (options.autoApprove) await client.request('attempts.approve', { attemptId: a.id }).catch(() => undefined);
      else once(a.id, `request ${a.id} ${a.remote.name ?? 'someone'} (${a.remote.id ?? 'unknown id'}) via ${a.method}: approve ${a.id} | reject ${a.id}`);
    }
    if (a.error) once(a.id, `attempt ${a.id} ${a.state} at ${a.error.stage ?? a.stage}: ${a.error.message}`);
    if (['open', 'failed', 'rejected', 'cancelled'].includes(a.state)) printed.delete(a.id);
  });
  /** What was last printed of each connection: its state, and its path. */
  const shown = new Map<string, { state: string; path: string }>();
  client.on('connection.updated', (c) => {
    options.learnName(c.remote.id, c.remote.name);
    const before = shown.get(c.id);
    const path = c.stats.path
      ? `${c.stats.path.kind}${c.stats.path.relayProtocol ? ` over ${c.stats.path.relayProtocol}` : ''}${c.stats.path.local ? ` (${c.stats.path.local} ↔ ${c.stats.path.remote})` : ''}`
      : '';
    if (before?.state !== c.state)
      print(
        `connection ${c.id} ${c.state} ${c.remote.name} (${c.remote.id}) via ${c.method}/${c.transport}${c.closeReason ? `: ${c.closeReason.message}` : ''}`,
      );
    if (path && before?.path !== path && c.state === 'open') print(`path ${c.id} ${path}`);
    if (c.state === 'closed' || c.state === 'failed') shown.delete(c.id);
    else shown.set(c.id, { state: c.state, path });
  });
  client.on('connection.message', (m) =>
    print(`message ${m.connectionId} ${m.channel} ${typeof m.message === 'string' ? m.message : JSON.stringify(m.message)}`),
  );
  client.on('plugin.error', (e) => print(`plugin-error ${e.plugin}: ${e.error.message}`));
}
