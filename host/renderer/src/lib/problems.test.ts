import { describe, expect, it } from 'vitest';
import { describeProblem, errorInfoOf, problemOf } from './problems';

describe('problems in words', () => {
  it('explains a refused link by its reason, keeping the service message', () => {
    const problem = describeProblem({ code: 'link_invalid', reason: 'expired', message: 'This invite expired at 10:00; ask Bob for a new one.' });
    expect(problem).toMatchObject({ title: 'This invite has expired', hint: 'Ask for a new invite.', detail: expect.stringContaining('ask Bob') });
  });

  it('says a link is our own, or from a peer already connected (which the form offers to show)', () => {
    expect(describeProblem({ code: 'link_invalid', reason: 'self', message: 'This invite is your own.' }).title).toBe('This is your own invite');
    expect(describeProblem({ code: 'link_invalid', reason: 'already-connected', message: 'You are already connected to Bob.' })).toMatchObject({
      title: 'You are already connected to this person',
      reason: 'already-connected',
    });
  });

  it('names the stage a connection failed at', () => {
    expect(describeProblem({ code: 'transport_failed', stage: 'ice', message: 'ICE failed' }).title).toBe(
      'No network path between you was found (at finding a network path)',
    );
  });

  it('tells a refusal relayed by a broker from a network failure', () => {
    const problem = describeProblem({ code: 'refused_by_peer', stage: 'signaling', message: 'The other person refused the connection: declined by the user.' });
    expect(problem.title).toBe('The other person declined the request');
  });

  it('tells a timeout from a refusal', () => {
    expect(describeProblem({ code: 'rejected', message: 'no answer within 30 s', reason: 'approval-timeout' }).title).toBe(
      'Nobody answered the request in time',
    );
    expect(describeProblem({ code: 'rejected', message: 'not today' }).title).toBe('The request was declined');
  });

  it('names the plugin that failed', () => {
    expect(describeProblem({ code: 'plugin_error', plugin: 'peerjs', message: 'boom' }).title).toBe('The peerjs plugin failed');
  });

  it('reads the error info out of a rejected request, or makes one up for a plain error', () => {
    expect(errorInfoOf({ info: { code: 'rejected', message: 'no' } })).toEqual({ code: 'rejected', message: 'no' });
    expect(errorInfoOf(Object.assign(new Error('gone'), { code: 'disconnected' }))).toEqual({ code: 'disconnected', message: 'gone' });
    expect(problemOf(new Error('weird')).title).toBe('Something went wrong');
    expect(problemOf({ code: 'brand_new_code', message: 'x' })).toMatchObject({ title: 'Something went wrong', detail: 'X' });
  });
});
