/**
 * Holds the app's quit until the service has shut down cleanly (its plugins close their peer
 * connections), then lets it through. Electron's `before-quit` cannot await, so the first one
 * is cancelled, and `quit()` is called again once `stop()` settles.
 */
export function createQuitGuard(options: { stop: () => Promise<void>; quit: () => void; log?: (message: string) => void }) {
  let state: 'running' | 'stopping' | 'done' = 'running';
  return function onBeforeQuit(event: { preventDefault(): void }): void {
    if (state === 'done') return;
    event.preventDefault();
    if (state === 'stopping') return;
    state = 'stopping';
    options
      .stop()
      .catch((error: unknown) => options.log?.(`the service did not stop cleanly: ${String(error)}`))
      .finally(() => {
        state = 'done';
        options.quit();
      });
  };
}
