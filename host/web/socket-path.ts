/** Where the browser shell accepts the page's WebSocket (shared by shell.ts and bridge.ts). */
export const SOCKET_PATH = '/__whatnext/ws';
