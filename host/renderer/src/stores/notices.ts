/** Problems and news shown as dismissible notices, newest first. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Problem } from '../lib/problems';

export interface Notice {
  id: number;
  tone: 'error' | 'info';
  problem: Problem;
}

const MAX_NOTICES = 5;

export const useNoticesStore = defineStore('notices', () => {
  const notices = ref<Notice[]>([]);
  let nextId = 1;

  function push(problem: Problem, tone: Notice['tone'] = 'error'): void {
    // The same problem twice in a row is said once.
    const last = notices.value[0];
    if (last && last.problem.title === problem.title && last.problem.detail === problem.detail) return;
    notices.value = [{ id: nextId++, tone, problem }, ...notices.value].slice(0, MAX_NOTICES);
  }

  function dismiss(id: number): void {
    notices.value = notices.value.filter((notice) => notice.id !== id);
  }

  return { notices, push, dismiss };
});
