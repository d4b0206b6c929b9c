/**
 * Hands the renderer a port to the service whenever both are ready: when the page says hello
 * (first load, reload) and after every service (re)start. Each handoff is a fresh channel; the
 * preload replaces its old port with it.
 */
export class RendererPorts<P> {
  #connected = false;

  constructor(
    private readonly createPort: () => P | undefined,
    private readonly deliver: (port: P) => void,
  ) {}

  get connected(): boolean {
    return this.#connected;
  }

  /** The page loaded and asked for a port (sender already checked by main). */
  rendererConnected(): void {
    this.#connected = true;
    this.#offer();
  }

  /** The window closed or its renderer process went away. */
  rendererDisconnected(): void {
    this.#connected = false;
  }

  serviceReady(): void {
    this.#offer();
  }

  #offer(): void {
    if (!this.#connected) return;
    const port = this.createPort();
    if (port !== undefined) this.deliver(port);
  }
}
