/**
 * Connection attempts (invites, opened links, incoming requests) as the service reports them.
 * The service forgets an attempt once it settles; this store keeps settled ones until the user
 * dismisses them, so a failure stays on screen with its reason.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { call, subscribe, type AttemptSummary } from '../api';

const SETTLED: ReadonlySet<AttemptSummary['state']> = new Set(['open', 'rejected', 'failed', 'cancelled']);

export const isSettled = (attempt: AttemptSummary) => SETTLED.has(attempt.state);

export const useAttemptsStore = defineStore('attempts', () => {
  const byId = ref<Record<string, AttemptSummary>>({});
  /** Order of first sighting, so cards do not jump around. */
  const order = ref<string[]>([]);
  const dismissed = ref<Set<string>>(new Set());
  /** Links being opened from this window: their rejection is shown beside the field, not as a notice. */
  const openingHere = new Set<string>();

  const all = computed(() => order.value.map((id) => byId.value[id]).filter((a): a is AttemptSummary => !!a && !dismissed.value.has(a.id)));
  /** Waiting for this user's yes or no (incoming requests, and links they opened). */
  const awaitingApproval = computed(() => all.value.filter((a) => a.state === 'awaiting-approval'));
  const invites = computed(() => all.value.filter((a) => a.role === 'inviter'));
  const answers = computed(() => all.value.filter((a) => a.role !== 'inviter' && a.state !== 'awaiting-approval'));

  function upsert(attempt: AttemptSummary): void {
    const known = byId.value[attempt.id];
    // A late copy of an earlier state never undoes a settled one.
    if (known && isSettled(known) && !isSettled(attempt)) return;
    byId.value = { ...byId.value, [attempt.id]: attempt };
    if (!order.value.includes(attempt.id)) order.value = [...order.value, attempt.id];
  }

  async function load(): Promise<void> {
    for (const attempt of await call('attempts.list', {})) upsert(attempt);
  }

  function listen(): () => void {
    return subscribe('attempt.updated', upsert);
  }

  const track = async (pending: Promise<AttemptSummary>) => {
    const attempt = await pending;
    upsert(attempt);
    return attempt;
  };

  return {
    byId,
    all,
    awaitingApproval,
    invites,
    answers,
    load,
    listen,
    upsert,
    invite: (method?: string) => track(call('attempts.invite', method ? { method } : {})),
    async openLink(link: string) {
      const text = link.trim();
      openingHere.add(text.slice(0, 200));
      try {
        return await track(call('links.open', { link: text }));
      } finally {
        openingHere.delete(text.slice(0, 200));
      }
    },
    /** Whether a `link.rejected` event is about a link this window is opening. */
    isOpeningHere: (link: string) => openingHere.has(link),
    approve: (attemptId: string) => track(call('attempts.approve', { attemptId })),
    reject: (attemptId: string, reason?: string) => track(call('attempts.reject', reason ? { attemptId, reason } : { attemptId })),
    answer: (attemptId: string, questionId: string, answer: string) => track(call('attempts.answer', { attemptId, questionId, answer: answer.trim() })),
    cancel: (attemptId: string) => track(call('attempts.cancel', { attemptId })),
    dismiss(attemptId: string) {
      dismissed.value = new Set([...dismissed.value, attemptId]);
    },
  };
});
