/** How names, numbers and times read on screen. */

const METHOD_LABELS: Record<string, string> = {
  manual: 'Copy & paste',
  peerjs: 'PeerJS broker',
  mqtt: 'MQTT broker',
  any: 'Any: the first one up',
};

/** The invite "method" that takes the first method whose server is up (the service's). */
export const ANY_METHOD = 'any';

/** A signaling method's friendly name (its plugin name when it has none). */
export function methodLabel(name: string): string {
  return METHOD_LABELS[name] ?? name;
}

/** 1st, 2nd, 3rd, 4th … (places in an order). */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

export function shortId(id: string | undefined): string {
  return id ? `${id.slice(0, 6)}…${id.slice(-4)}` : 'unknown id';
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatRtt(ms: number | undefined): string {
  return ms === undefined ? '—' : `${Math.round(ms)} ms`;
}

export function formatWhen(epochMs: number): string {
  const date = new Date(epochMs);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' });
}

/** How a connection's path reads on its badge, and what the badge's tooltip explains. */
export function pathLabel(path: { kind: 'direct' | 'relayed'; relayProtocol?: string; local?: string; remote?: string }): { label: string; title: string } {
  const ends = path.local && path.remote ? ` (${path.local} ↔ ${path.remote})` : '';
  if (path.kind === 'direct') return { label: 'Direct', title: `Your devices reach each other directly${ends}.` };
  const over = path.relayProtocol ? ` · ${path.relayProtocol.toUpperCase()}` : '';
  return {
    label: `Relayed${over}`,
    title: `Through a relay (TURN) server${path.relayProtocol ? ` over ${path.relayProtocol.toUpperCase()}` : ''}: it sees encrypted traffic only, and may be slower${ends}.`,
  };
}

/** How a signaling method's health reads on its badge (see `SignalingHealth`); a method that
 * reports none needs no server. */
export function healthLabel(health: { state: 'connecting' | 'connected' | 'retrying' | 'error'; since: number; message?: string } | undefined): {
  label: string;
  tone: 'ok' | 'warn' | 'danger';
  detail?: string;
} {
  switch (health?.state) {
    case undefined:
      return { label: 'No server needed', tone: 'ok' };
    case 'connected':
      return { label: 'Connected', tone: 'ok' };
    case 'connecting':
      return { label: 'Connecting…', tone: 'warn' };
    case 'retrying':
      return { label: 'Unreachable', tone: 'danger', detail: `Retrying since ${formatWhen(health.since)}${health.message ? `: ${health.message}` : '.'}` };
    case 'error':
      return { label: 'Stopped', tone: 'danger', ...(health.message ? { detail: health.message } : {}) };
  }
}
