/** How an attempt's state reads on a card: a short label and a tone for its badge. */
import { APPROVAL_TIMED_OUT, type AttemptSummary } from '../api';
import { stageLabel } from './problems';

export type Tone = 'ok' | 'warn' | 'danger' | 'accent' | 'plain';

export function attemptStatus(attempt: AttemptSummary): { label: string; tone: Tone } {
  switch (attempt.state) {
    case 'awaiting-approval':
      return { label: 'Waiting for you', tone: 'accent' };
    case 'open':
      return { label: 'Connected', tone: 'ok' };
    case 'rejected':
      return attempt.error?.reason === APPROVAL_TIMED_OUT ? { label: 'Timed out', tone: 'danger' } : { label: 'Declined', tone: 'danger' };
    case 'failed':
      return { label: 'Failed', tone: 'danger' };
    case 'cancelled':
      return { label: 'Cancelled', tone: 'plain' };
    default:
      break;
  }
  if (attempt.question) return { label: 'Waiting for the reply code', tone: 'accent' };
  if (attempt.role === 'inviter' && !attempt.invite) return { label: 'Preparing the invite', tone: 'warn' };
  if (attempt.role === 'inviter' && attempt.stage === 'signaling') return { label: 'Waiting for an answer', tone: 'accent' };
  if (attempt.role !== 'inviter' && attempt.displays.length > 0) return { label: `Waiting for ${remoteName(attempt)} to paste your reply`, tone: 'accent' };
  return { label: `Connecting: ${stageLabel(attempt.stage)}`, tone: 'warn' };
}

export function remoteName(attempt: Pick<AttemptSummary, 'remote'>): string {
  return attempt.remote.name ?? 'Someone';
}

/** Who decided an approval, in words ('user', 'invite', or a policy plugin's name). */
export function decidedByLabel(decidedBy: string | undefined): string | undefined {
  if (!decidedBy || decidedBy === 'user') return undefined;
  if (decidedBy === 'invite') return 'Accepted: they answered your invite';
  if (decidedBy === 'known-peers') return 'Accepted automatically: a peer you approved before';
  return `Decided by ${decidedBy}`;
}
