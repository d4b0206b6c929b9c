/** Settings, installed signaling methods and plugins (with their options). */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { call, subscribe, type ExternalPlugins, type MethodInfo, type PluginStatus, type Settings } from '../api';

export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<Settings>();
  const methods = ref<MethodInfo[]>([]);
  const plugins = ref<PluginStatus[]>([]);
  /** The data folder's plugin packages (plugins.json): what is enabled, what this run loaded. */
  const external = ref<ExternalPlugins>();

  /** The method new invites use: the chosen default, or the first installed. */
  const defaultMethod = computed(() => settings.value?.defaultMethod ?? methods.value[0]?.name);
  /** The methods reconnections try, in the order they try them. */
  const failoverOrder = computed(() => methods.value.filter((m) => m.failoverRank !== undefined).sort((a, b) => (a.failoverRank ?? 0) - (b.failoverRank ?? 0)));

  async function update(change: Partial<Omit<Settings, 'pluginOptions' | 'enabledPlugins'>>): Promise<void> {
    settings.value = await call('settings.update', change);
  }

  async function loadMethods(): Promise<void> {
    methods.value = await call('signaling.list', {});
  }

  async function loadExternal(): Promise<void> {
    external.value = await call('plugins.external', {});
  }

  return {
    settings,
    methods,
    plugins,
    external,
    loadExternal,
    defaultMethod,
    failoverOrder,
    /** Reconnections try `name` first, the others after it in their order. */
    async tryFirst(name: string) {
      await update({ methodOrder: [name, ...failoverOrder.value.map((m) => m.name).filter((other) => other !== name)] });
    },
    async load() {
      const [loaded, installed] = await Promise.all([call('settings.get', {}), call('plugins.list', {}), loadMethods(), loadExternal()]);
      settings.value = loaded;
      plugins.value = installed;
    },
    listen() {
      const stops = [
        subscribe('settings.changed', (next) => {
          const enabledBefore = settings.value?.enabledPlugins ?? [];
          settings.value = next;
          // Another window (or the terminal) enabled or disabled a data-folder plugin.
          const enabled = next.enabledPlugins ?? [];
          if (enabled.length !== enabledBefore.length || enabled.some((name) => !enabledBefore.includes(name))) void loadExternal().catch(() => undefined);
          // The failover order (each method's rank) may have changed.
          void loadMethods().catch(() => undefined);
        }),
        subscribe('signaling.health', ({ method, health }) => {
          methods.value = methods.value.map((m) => (m.name === method ? { ...m, health } : m));
        }),
        subscribe('plugins.changed', (next) => {
          plugins.value = next;
          void loadMethods().catch(() => undefined);
        }),
      ];
      return () => stops.forEach((stop) => stop());
    },
    update,
    /** Enable or disable a data-folder plugin: it loads (or not) from the next start. */
    async setEnabled(name: string, enabled: boolean) {
      external.value = await call('plugins.enable', { package: name, enabled });
    },
    async configure(plugin: string, options: Record<string, unknown>) {
      const status = await call('plugins.configure', { plugin, options });
      plugins.value = plugins.value.map((p) => (p.name === plugin ? status : p));
      return status;
    },
  };
});
