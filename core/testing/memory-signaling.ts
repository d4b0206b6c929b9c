/**
 * The in-memory reference signaling method: a stand-in for a broker, in this process. An invite
 * opens a mailbox and its link names it (`m`); the answering side takes the mailbox (one answer
 * per invite) and the two dials exchange their signals through it, in order, as they come
 * (trickle and all). It shows a broker-style method's shape in 80 lines, and passes core's
 * signaling suite (`memory-signaling.test.ts`). Mailboxes live as long as their invite.
 */
import type { LinkTarget, SignalingMethod } from '../contracts/signaling';
import type { Signal } from '../contracts/transport';
import { LinkError, TransportError } from '../errors';
import { definePlugin, type PluginInstance } from '../plugin';
import { randomBase32 } from '../util/ids';

interface Mailbox {
  /** A signal from the answering side, for the inviter's dial. */
  toInviter(signal: Signal): void;
  /** The answering side arrived: what the inviter sends goes to `toAnswerer` from now on. */
  answered(toAnswerer: (signal: Signal) => void): void;
}

const mailboxes = new Map<string, Mailbox>();
const MAILBOX = /^[0-9a-z]{16}$/;

export interface MemorySignalingOptions {
  /** The method's name. Default 'memory-signaling'. */
  name?: string;
  /** The transport it drives. Default 'memory'. */
  transport?: string;
}

export function createMemorySignaling(options: MemorySignalingOptions = {}): SignalingMethod<{ mailbox: string }> {
  const name = options.name ?? 'memory-signaling';
  const transport = options.transport ?? 'memory';
  return {
    name,
    description: 'In-process signaling for tests: a stand-in for a broker',
    transports: [transport],

    parseLink(params): LinkTarget<{ mailbox: string }> {
      const extra = Object.keys(params).find((key) => key !== 'm');
      if (extra) throw new LinkError('bad-param', `A ${name} link has no parameter "${extra}".`);
      if (params.m === undefined) throw new LinkError('missing-param', `This ${name} link names no mailbox (parameter "m").`);
      if (!MAILBOX.test(params.m)) throw new LinkError('bad-param', `This ${name} link's mailbox is not one (16 letters and digits).`);
      return { method: name, remote: {}, params: { mailbox: params.m } };
    },

    async invite(ctx) {
      const id = randomBase32(10);
      let toAnswerer: ((signal: Signal) => void) | undefined;
      const early: Signal[] = []; // sent before anyone answered: delivered on arrival, in order
      const dial = ctx.dial(transport, { initiator: true, sendSignal: (signal) => (toAnswerer ? toAnswerer(signal) : early.push(signal)) });
      mailboxes.set(id, {
        toInviter: (signal) => dial.signal(signal),
        answered(deliver) {
          toAnswerer = deliver;
          for (const signal of early.splice(0)) deliver(signal);
        },
      });
      ctx.presentInvite({ params: { m: id } });
      try {
        return await dial.pipe;
      } finally {
        mailboxes.delete(id);
      }
    },

    async answer(target, ctx) {
      const mailbox = mailboxes.get(target.params.mailbox);
      if (!mailbox) throw new TransportError('signaling', 'No invite waits at this mailbox: it ended, or someone answered it.');
      mailboxes.delete(target.params.mailbox);
      const dial = ctx.dial(transport, { initiator: false, sendSignal: (signal) => mailbox.toInviter(signal) });
      mailbox.answered((signal) => dial.signal(signal));
      return dial.pipe;
    },
  };
}

/** A plugin that registers the in-memory signaling method. */
export function memorySignalingPlugin(options: MemorySignalingOptions = {}): PluginInstance {
  return definePlugin({
    name: 'memory-signaling',
    version: '1.0.0',
    api: '^2.0.0',
    description: 'The in-memory reference signaling method, for tests',
    setup: (ctx) => ctx.registerSignaling(createMemorySignaling(options)),
  })();
}
