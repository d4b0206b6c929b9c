import { describe, expect, it } from 'vitest';
import { permissionArgs } from '../permissions';

describe('permissionArgs', () => {
  const scope = { read: ['/app', '/data'], write: ['/data'] };

  it('uses the experimental flag where Node still has it, the stable one from 22.13 and 23.5', () => {
    expect(permissionArgs(scope, '20.20.2')[0]).toBe('--experimental-permission');
    expect(permissionArgs(scope, '22.12.0')[0]).toBe('--experimental-permission');
    expect(permissionArgs(scope, '22.13.0')[0]).toBe('--permission');
    expect(permissionArgs(scope, '23.4.0')[0]).toBe('--experimental-permission');
    expect(permissionArgs(scope, '24.11.1')[0]).toBe('--permission');
  });

  it('repeats each path flag (Node no longer reads comma-separated lists) and allows addons, nothing else', () => {
    const args = permissionArgs(scope, '24.11.1');
    expect(args.filter((a) => a.startsWith('--allow-'))).toEqual(['--allow-fs-read=/app', '--allow-fs-read=/data', '--allow-fs-write=/data', '--allow-addons']);
  });
});
