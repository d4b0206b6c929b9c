/** The service behind the page: who we are, whether it is reachable, and starting the app. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { call, hasApi, subscribe, type ServiceStatus } from '../api';
import { errorInfoOf, problemOf, type Problem } from '../lib/problems';

export type Phase = 'starting' | 'ready' | 'lost' | 'no-api' | 'failed';

/** How often the page checks the service is still there. */
const HEARTBEAT_MS = 5000;

export const useServiceStore = defineStore('service', () => {
  const status = ref<ServiceStatus>();
  const phase = ref<Phase>('starting');
  const problem = ref<Problem>();
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  async function refresh(): Promise<void> {
    status.value = await call('service.status', {});
  }

  function lost(error: unknown): void {
    if (errorInfoOf(error).code !== 'disconnected') return;
    phase.value = 'lost';
    problem.value = problemOf(error);
    if (heartbeat) clearInterval(heartbeat);
  }

  return {
    status,
    phase,
    problem,
    refresh,
    lost,
    /** Load everything the app shows through `loaders`, then keep it current with events. */
    async start(loaders: Array<() => Promise<void>>, listeners: Array<() => () => void>): Promise<void> {
      if (!hasApi()) {
        phase.value = 'no-api';
        problem.value = problemOf({ code: 'no_api', message: 'window.whatnext is missing.' });
        return;
      }
      // Subscribe first: nothing that happens while the lists load is missed.
      listeners.forEach((listen) => listen());
      subscribe('host.state', (state) => {
        if (status.value) status.value = { ...status.value, state };
      });
      // A new display name shows at once, not at the next heartbeat.
      subscribe('settings.changed', (settings) => {
        if (status.value) status.value = { ...status.value, local: { ...status.value.local, name: settings.displayName } };
      });
      try {
        await Promise.all([refresh(), ...loaders.map((load) => load())]);
        phase.value = 'ready';
      } catch (error) {
        phase.value = errorInfoOf(error).code === 'disconnected' ? 'lost' : 'failed';
        problem.value = problemOf(error);
        return;
      }
      heartbeat = setInterval(() => void refresh().catch(lost), HEARTBEAT_MS);
    },
  };
});
