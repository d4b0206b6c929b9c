/** The one thing the service needs from a client channel (Node IPC, an Electron MessagePort, a
 * WebSocket): send a message, receive messages, learn when it closes. */
export interface Port {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): () => void;
  onClose?(listener: () => void): () => void;
}

/** Two in-process ports wired to each other. Messages are structured-cloned and delivered on a
 * later microtask, as across a real process boundary. */
export function createPortPair(): [Port, Port] {
  const listeners: [Set<(m: unknown) => void>, Set<(m: unknown) => void>] = [new Set(), new Set()];
  const side = (own: 0 | 1): Port => ({
    send: (message) => {
      const copy = structuredClone(message);
      queueMicrotask(() => {
        for (const listener of listeners[own === 0 ? 1 : 0]) listener(copy);
      });
    },
    onMessage: (listener) => {
      listeners[own].add(listener);
      return () => listeners[own].delete(listener);
    },
  });
  return [side(0), side(1)];
}
