/** Connections (open and recently closed) and the peers this user approved before. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { call, subscribe, type ConnectionSummary, type KnownPeer } from '../api';

/** Stats (round-trip time, bytes) change without events: refreshed this often while connected. */
const STATS_REFRESH_MS = 2000;

export const usePeersStore = defineStore('peers', () => {
  const byId = ref<Record<string, ConnectionSummary>>({});
  const known = ref<KnownPeer[]>([]);
  const dismissed = ref<Set<string>>(new Set());
  let statsTimer: ReturnType<typeof setInterval> | undefined;

  const connections = computed(() => Object.values(byId.value).filter((c) => !dismissed.value.has(c.id)));
  const live = computed(() => connections.value.filter((c) => c.state === 'open' || c.state === 'connecting'));
  const ended = computed(() => connections.value.filter((c) => c.state !== 'open' && c.state !== 'connecting'));
  const connectedPeerIds = computed(() => new Set(live.value.map((c) => c.remote.id)));

  function upsert(connection: ConnectionSummary): void {
    const before = byId.value[connection.id]?.state;
    byId.value = { ...byId.value, [connection.id]: connection };
    // A peer is remembered once its connection opens, and seen last when it ends: refresh then.
    if (before !== connection.state && (connection.state === 'open' || connection.state === 'closed')) void loadKnown();
    keepStatsFresh();
  }

  async function loadKnown(): Promise<void> {
    known.value = await call('peers.known', {});
  }

  async function loadConnections(): Promise<void> {
    const list = await call('connections.list', {});
    const listed = new Set(list.map((c) => c.id));
    const next: Record<string, ConnectionSummary> = {};
    // Connections the service no longer lists have ended; keep what we last knew of them.
    for (const [id, c] of Object.entries(byId.value)) if (!listed.has(id)) next[id] = c.state === 'open' ? { ...c, state: 'closed' } : c;
    for (const c of list) next[c.id] = c;
    byId.value = next;
    keepStatsFresh();
  }

  function keepStatsFresh(): void {
    const needed = Object.values(byId.value).some((c) => c.state === 'open');
    if (needed && !statsTimer) statsTimer = setInterval(() => void loadConnections().catch(() => undefined), STATS_REFRESH_MS);
    if (!needed && statsTimer) {
      clearInterval(statsTimer);
      statsTimer = undefined;
    }
  }

  return {
    byId,
    connections,
    live,
    ended,
    known,
    connectedPeerIds,
    upsert,
    async load() {
      await Promise.all([loadConnections(), loadKnown()]);
    },
    listen: () => subscribe('connection.updated', upsert),
    async disconnect(connectionId: string) {
      await call('connections.close', { connectionId, reason: 'closed by the user' });
    },
    async reconnect(peerId: string) {
      await call('peers.reconnect', { peerId });
    },
    async setAutoConnect(peerId: string, autoConnect: boolean) {
      const updated = await call('peers.update', { peerId, autoConnect });
      known.value = known.value.map((p) => (p.id === peerId ? updated : p));
    },
    async forget(peerId: string) {
      await call('peers.forget', { peerId });
      await loadKnown();
    },
    dismiss(connectionId: string) {
      dismissed.value = new Set([...dismissed.value, connectionId]);
    },
  };
});
