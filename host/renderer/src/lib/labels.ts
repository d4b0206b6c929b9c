/** How names, numbers and times read on screen. */

const METHOD_LABELS: Record<string, string> = {
  manual: 'Copy & paste',
  peerjs: 'PeerJS broker',
};

/** A signalling method's friendly name (its plugin name when it has none). */
export function methodLabel(name: string): string {
  return METHOD_LABELS[name] ?? name;
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
  return sameDay ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : date.toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' });
}
