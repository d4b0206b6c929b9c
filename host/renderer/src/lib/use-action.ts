/** Runs a user action against the service: busy while it runs, its problem (if any) kept to show. */
import { ref } from 'vue';
import { useServiceStore } from '../stores/service';
import { problemOf, type Problem } from './problems';

export function useAction() {
  const busy = ref(false);
  const problem = ref<Problem>();
  const service = useServiceStore();

  async function run<T>(action: () => Promise<T>): Promise<T | undefined> {
    busy.value = true;
    problem.value = undefined;
    try {
      return await action();
    } catch (error) {
      problem.value = problemOf(error);
      service.lost(error);
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  return { busy, problem, run, clear: () => (problem.value = undefined) };
}
