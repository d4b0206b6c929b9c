/**
 * The terminal peer's commands: one table, which `help` prints and the dispatcher reads. Each
 * command's output starts with a word saying what the line is (`invite`, `playlist`, `error`...),
 * so a script (or a test) can read it.
 */
import { WhatNextError, describe } from '../../core/errors';
import { ServiceError } from '../../core/protocol/client';
import type { PlaylistClient } from './playlists';
import { splitWords, type Words } from './words';

export interface Command {
  name: string;
  usage: string;
  summary: string;
  run(words: Words): Promise<void> | void;
}

export function connectionCommands(client: PlaylistClient, print: (line: string) => void, quit: () => void): Command[] {
  const attemptId = (words: Words) => words.word(1) ?? '';
  return [
    {
      name: 'invite',
      usage: 'invite [method]',
      summary: 'make an invite link for someone to open (methods: `methods`)',
      run: async (words) => void (await client.request('attempts.invite', words.word(1) ? { method: words.word(1)! } : {})),
    },
    {
      name: 'whtnxt://connect?...',
      usage: 'whtnxt://connect?...',
      summary: "open someone's invite link (paste it)",
      async run(words) {
        const attempt = await client.request('links.open', { link: words.word(0)! });
        // The link is read, not yet answered: the request line that follows asks to approve it.
        print(`link ${attempt.id} ${attempt.method} ${attempt.remote.name ?? ''}`.trimEnd());
      },
    },
    {
      name: 'approve',
      usage: 'approve <attempt>',
      summary: 'let a request in',
      run: async (words) => void (await client.request('attempts.approve', { attemptId: attemptId(words) })),
    },
    {
      name: 'reject',
      usage: 'reject <attempt> [reason]',
      summary: 'turn a request away',
      run: async (words) =>
        void (await client.request('attempts.reject', { attemptId: attemptId(words), ...(words.word(2) ? { reason: words.rest(2) } : {}) })),
    },
    {
      name: 'answer',
      usage: 'answer <attempt> <text>',
      summary: "answer an attempt's question (paste a reply code)",
      async run(words) {
        const attempt = (await client.request('attempts.list', {})).find((a) => a.id === attemptId(words));
        if (!attempt?.question) throw new WhatNextError('unknown_attempt', `No attempt ${attemptId(words) || '(none given)'} waits for an answer.`);
        await client.request('attempts.answer', { attemptId: attempt.id, questionId: attempt.question.id, answer: words.rest(2) });
      },
    },
    {
      name: 'cancel',
      usage: 'cancel <attempt>',
      summary: 'give up an invite or attempt',
      run: async (words) => void (await client.request('attempts.cancel', { attemptId: attemptId(words) })),
    },
    {
      name: 'send',
      usage: 'send <connection> <channel> <text>',
      summary: 'send a message on a channel (and print what comes back on it)',
      async run(words) {
        const [connectionId, channel] = [words.word(1) ?? '', words.word(2) ?? ''];
        await client.request('connections.listen', { connectionId, channel });
        await client.request('connections.send', { connectionId, channel, message: words.rest(3) });
        print(`sent ${connectionId} ${channel}`);
      },
    },
    {
      name: 'close',
      usage: 'close <connection>',
      summary: 'close a connection',
      run: async (words) => void (await client.request('connections.close', { connectionId: words.word(1) ?? '' })),
    },
    {
      name: 'list',
      usage: 'list',
      summary: 'connections and attempts under way',
      async run() {
        const [connections, attempts] = await Promise.all([client.request('connections.list', {}), client.request('attempts.list', {})]);
        if (connections.length + attempts.length === 0) print('nothing open or under way');
        for (const c of connections) print(`connection ${c.id} ${c.state} ${c.remote.name} via ${c.method}`);
        for (const a of attempts) print(`attempt ${a.id} ${a.role} ${a.state} ${a.stage}`);
      },
    },
    {
      name: 'peers',
      usage: 'peers',
      summary: 'the peers you paired with, and whether each is connected',
      async run() {
        const [known, connections] = await Promise.all([client.request('peers.known', {}), client.request('connections.list', {})]);
        const open = new Set(connections.filter((c) => c.state === 'open').map((c) => c.remote.id));
        if (known.length === 0) print('no known peers yet: invite someone');
        for (const p of known) print(`peer ${p.id} ${p.name} ${open.has(p.id) ? 'online' : `offline, last seen ${new Date(p.lastSeenAt).toISOString()}`}`);
      },
    },
    {
      name: 'methods',
      usage: 'methods',
      summary: 'the signaling methods this peer has',
      async run() {
        for (const m of await client.request('signaling.list', {})) print(`method ${m.name} ${m.description}`);
      },
    },
    { name: 'quit', usage: 'quit', summary: 'close connections and stop', run: () => quit() },
  ];
}

/** Runs one typed line against `commands`; `help` lists them. Errors are printed, never thrown. */
export function dispatcher(commands: Command[], print: (line: string) => void): (line: string) => Promise<void> {
  const help = (about?: string) => {
    const shown = about ? commands.filter((c) => c.name === about) : commands;
    if (shown.length === 0) return print(`error no command "${about}": \`help\` lists them`);
    const width = Math.max(...shown.map((c) => c.usage.length));
    for (const c of shown) print(`  ${c.usage.padEnd(width)}  ${c.summary}`);
    if (!about) print('  help [command]'.padEnd(width + 4) + 'this list');
  };
  return async (line) => {
    const words = splitWords(line);
    const name = words.word(0);
    if (!name) return;
    if (name === 'help') return help(words.word(1));
    const command = /^whtnxt(-dev)?:/i.test(name) ? commands.find((c) => c.name.startsWith('whtnxt:')) : commands.find((c) => c.name === name);
    if (!command) return print(`error unknown command "${name}": \`help\` lists the commands`);
    try {
      await command.run(words);
    } catch (error) {
      if (error instanceof ServiceError && error.info.code === 'unknown_method')
        print(`error ${name}: this peer's plugins do not offer it (${error.info.message})`);
      else print(`error ${describe(error)}`);
    }
  };
}
