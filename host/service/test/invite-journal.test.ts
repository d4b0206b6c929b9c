/**
 * Invites do not survive a restart (issue 19, item 7): the run after it says which ones ended
 * with it, instead of "nothing in progress". A real service in process, stopped and started
 * again on the same data folder.
 */
import { afterEach, expect, it } from 'vitest';
import { eventually, startInProcess, type TestPeer } from '../../../plugins/rxdb/testing/harness';
import { INVITE_LOST_MESSAGE } from '../invite-journal';
import { tempDir } from '../testing/temp-dirs';

const running: TestPeer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((peer) => peer.stop()));
});

it('lists the invites a restart ended as failed, with what to do, and only those', async () => {
  const dataDir = tempDir('whatnext-invites-');
  const first = await startInProcess('Alice', { dataDir });
  running.push(first);
  const waiting = await first.client.request('attempts.invite', { method: 'manual' });
  const cancelled = await first.client.request('attempts.invite', { method: 'manual' });
  await eventually(async () => {
    const attempts = await first.client.request('attempts.list', {});
    expect(attempts.filter((a) => a.invite).map((a) => a.id)).toEqual(expect.arrayContaining([waiting.id, cancelled.id]));
  });
  const link = (await first.client.request('attempts.list', {})).find((a) => a.id === waiting.id)!.invite!.link;
  await first.client.request('attempts.cancel', { attemptId: cancelled.id });
  await first.stop();

  const second = await startInProcess('Alice', { dataDir });
  running.push(second);
  const attempts = await second.client.request('attempts.list', {});
  expect(attempts).toEqual([
    expect.objectContaining({
      id: waiting.id,
      role: 'inviter',
      state: 'failed',
      invite: expect.objectContaining({ link }),
      error: { code: 'invite_lost', message: INVITE_LOST_MESSAGE },
    }),
  ]);

  // This run's own invites are journaled afresh: after one more restart, only they are lost.
  const next = await second.client.request('attempts.invite', { method: 'manual' });
  await eventually(async () => expect((await second.client.request('attempts.list', {})).find((a) => a.id === next.id)?.invite).toBeDefined());
  await second.stop();
  const third = await startInProcess('Alice', { dataDir });
  running.push(third);
  expect((await third.client.request('attempts.list', {})).map((a) => a.id)).toEqual([next.id]);
});
