/** One shared clock for countdowns: ticks while something on screen reads it. */
import { onScopeDispose, ref, type Ref } from 'vue';

const now = ref(Date.now());
let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

export function useNow(): Readonly<Ref<number>> {
  users++;
  if (!timer) timer = setInterval(() => (now.value = Date.now()), 250);
  now.value = Date.now();
  onScopeDispose(() => {
    users--;
    if (users === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  });
  return now;
}
