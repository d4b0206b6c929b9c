/**
 * V8 flags every service process runs with: under Node (fork.ts) and under Electron's utility
 * process (host/electron/layout.ts).
 */
export const SERVICE_V8_FLAGS = [
  // Semi-spaces of 2 MB instead of V8's up to 16 MB: a sync of thousands of documents churns
  // through short-lived objects, and a young generation grown for it stays resident afterwards.
  // Measured (bench scale, and a 30,000-track sync in one process): half the private memory,
  // no more CPU.
  '--max-semi-space-size=2',
] as const;
