import { describe, expect, it } from 'vitest';
import type { AttemptContext } from '../contracts/signaling';
import type { Pipe } from '../contracts/transport';
import { TransportError } from '../errors';
import { PendingInvites } from './pending-invites';

/** All `wait` reads of an attempt is its abort signal. */
const attempt = () => {
  const controller = new AbortController();
  return { controller, ctx: { abort: controller.signal } as AttemptContext };
};
const pipe = {} as Pipe;

describe('PendingInvites', () => {
  it('hands the first offer with the token to its invite, once; another token takes nothing', async () => {
    const invites = new PendingInvites<string>();
    const answered: string[] = [];
    const waiting = invites.wait(attempt().ctx, 'token-aaaa', async (offer) => (answered.push(offer), pipe));
    expect(invites.size).toBe(1);
    expect(invites.take('token-aaab', 'wrong')).toBe(false);
    expect(invites.take('token-aaa', 'short')).toBe(false);
    expect(invites.take('token-aaaa', 'first')).toBe(true);
    expect(invites.take('token-aaaa', 'second')).toBe(false);
    expect(await waiting).toBe(pipe);
    expect(answered).toEqual(['first']);
    expect(invites.size).toBe(0);
  });

  it("ends an invite at 'signaling' when its attempt aborts or all fail, and passes on the answer's failure", async () => {
    const invites = new PendingInvites<string>();
    const aborted = attempt();
    const closing = invites.wait(aborted.ctx, 'token-1111', async () => pipe);
    aborted.controller.abort(new Error('closed by the user'));
    await expect(closing).rejects.toMatchObject({ stage: 'signaling', message: 'The invite was closed: closed by the user.' });

    const stopping = invites.wait(attempt().ctx, 'token-2222', async () => pipe);
    invites.failAll(new TransportError('signaling', 'shutting down'));
    await expect(stopping).rejects.toMatchObject({ message: 'shutting down' });

    const failing = invites.wait(attempt().ctx, 'token-3333', () => {
      throw new TransportError('ice', 'no path');
    });
    invites.take('token-3333', 'offer');
    await expect(failing).rejects.toMatchObject({ stage: 'ice' });
    expect(invites.size).toBe(0);
  });
});
