/**
 * Least privilege for the service, through Node's permission model: it may write only inside
 * its data folder, read only that and the app's own code, and start no child processes and no
 * worker threads. A plugin that tries more gets `ERR_ACCESS_DENIED`, which the host reports
 * as that plugin's failure, naming the permission (core/errors.ts `describe`).
 *
 * Native addons are allowed (the WebRTC engine and LMDB are addons), and what their native code
 * does is outside the model: it bounds JavaScript, not a compromised addon.
 *
 * Electron: `utilityProcess.fork` passes `execArgv` but, as far as is known (Electron 42), its
 * bootstrap does not apply Node's permission flags. The service reports what is in effect
 * (`permissionsInEffect`) instead of assuming.
 */
import semver from 'semver';

export interface PermissionScope {
  /** Folders (and files) the service may read: its code, its packages, its data. */
  read: readonly string[];
  /** Folders it may write: its data folder. */
  write: readonly string[];
}

/** The Node flags that run a process with only `scope` (Node ≥ 20.10). Flags are repeated per
 * path: Node no longer accepts comma-separated lists. */
export function permissionArgs(scope: PermissionScope, nodeVersion = process.versions.node): string[] {
  // The model left its experimental flag in Node 22.13 / 23.5.
  const stable = semver.satisfies(nodeVersion, '>=23.5.0 || ^22.13.0');
  return [
    stable ? '--permission' : '--experimental-permission',
    // Said at every start, and the service logs what is in effect instead.
    '--disable-warning=ExperimentalWarning',
    '--disable-warning=SecurityWarning',
    ...scope.read.map((path) => `--allow-fs-read=${path}`),
    ...scope.write.map((path) => `--allow-fs-write=${path}`),
    '--allow-addons',
  ];
}

export interface PermissionsInEffect {
  /** Whether Node's permission model restricts this process. */
  enforced: boolean;
  /** Of the checks below, those the process is allowed; empty when not enforced. */
  allowed: PermissionCheck[];
}

/** What this process may do, as Node's permission model sees it (`process.permission`). */
export function permissionsInEffect(dataDir: string): PermissionsInEffect {
  const permission = (process as { permission?: { has(scope: string, reference?: string): boolean } }).permission;
  if (!permission) return { enforced: false, allowed: [] };
  const checks: [PermissionCheck, string, string?][] = [
    [PERMISSION_CHECKS[0], 'fs.write', dataDir],
    [PERMISSION_CHECKS[1], 'fs.write', '/'],
    [PERMISSION_CHECKS[2], 'child'],
    [PERMISSION_CHECKS[3], 'worker'],
  ];
  return { enforced: true, allowed: checks.filter(([, scope, reference]) => permission.has(scope, reference)).map(([label]) => label) };
}

/** What `permissionsInEffect` checks, as the log and the status say it. */
export const PERMISSION_CHECKS = ['write its data folder', 'write elsewhere', 'start child processes', 'start worker threads'] as const;
export type PermissionCheck = (typeof PERMISSION_CHECKS)[number];
