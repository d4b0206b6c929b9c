/**
 * Node flags every service process runs with, under Node (fork.ts) and under Electron's utility
 * process (host/electron/layout.ts).
 */
export const SERVICE_NODE_FLAGS = [
  // `gc()` for plugins that know when a bulk of work is over and its memory can go back to the
  // system (plugins/rxdb/memory-trim.ts): V8 alone keeps the heap a bulk grew to until its next
  // full collection, which an idle service may not run for a long time.
  '--expose-gc',
] as const;
