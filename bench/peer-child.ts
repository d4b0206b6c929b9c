/**
 * The child's side of a bench peer process (bench/connect-peer.ts, bench/lab-peer.ts): replies
 * to the parent, commands handled one message at a time, a failure reported as a reply
 * `{ type: 'error' }` (the parent's waits fail on it), and an exit when the parent goes away.
 */
export function replyToParent<Reply extends { type: string }>(message: Reply): void {
  // After the parent left (teardown) a late event has nobody to tell.
  if (process.connected) process.send?.(message);
}

export function serveParent<Command>(handle: (command: Command) => Promise<void>): void {
  process.on('message', (command: Command) => {
    handle(command).catch((error: unknown) =>
      replyToParent({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(1));
}

/** Once stopped: WebRTC bindings can keep native threads alive after every connection closed. */
export function exitSoon(): void {
  setImmediate(() => process.exit(0));
}
