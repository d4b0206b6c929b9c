/**
 * Wraps every tap of a hook so that (1) errors come out as `PluginError` naming the plugin (the
 * tap's name) and the hook, with the original as `cause`; (2) async taps time out with a
 * `PluginTimeoutError`; (3) on isolated hooks a failing tap is reported and the hook goes on;
 * (4) taps of a plugin that has failed are skipped. Tapable itself does none of this; a
 * `register` interceptor can.
 */
import type { Hook, HookMap } from 'tapable';
import { PluginError, PluginTimeoutError } from '../errors';
import { withTimeout } from '../util/timeout';

export interface GuardPolicy {
  timeoutMs: number;
  isolated: boolean;
  isFailed(plugin: string): boolean;
  /** Isolated hooks report here instead of throwing. */
  report(error: PluginError | PluginTimeoutError): void;
}

type AnyFn = (...args: unknown[]) => unknown;
interface MutableTap {
  name: string;
  type: 'sync' | 'async' | 'promise';
  fn: Function;
}

export function guardHook(hook: Hook<any, any>, hookName: string, policy: GuardPolicy): void {
  hook.intercept({
    register: (tap) => {
      wrapTap(tap as MutableTap, hookName, policy);
      return tap;
    },
  });
}

export function guardHookMap(map: HookMap<Hook<any, any>>, mapName: string, policy: GuardPolicy): void {
  map.intercept({
    factory: (key, hook) => {
      guardHook(hook, `${mapName}:${String(key)}`, policy);
      return hook;
    },
  });
}

function wrapTap(tap: MutableTap, hookName: string, policy: GuardPolicy): void {
  const plugin = tap.name;
  const original = tap.fn as AnyFn;
  const tag = (error: unknown) => (error instanceof PluginError || error instanceof PluginTimeoutError ? error : new PluginError(plugin, hookName, error));

  if (tap.type === 'sync') {
    tap.fn = (...args: unknown[]) => {
      if (policy.isFailed(plugin)) return undefined;
      try {
        return original(...args);
      } catch (error) {
        const tagged = tag(error);
        if (!policy.isolated) throw tagged;
        policy.report(tagged);
        return undefined;
      }
    };
    return;
  }

  const run = (args: unknown[]): Promise<unknown> =>
    tap.type === 'promise'
      ? Promise.resolve().then(() => original(...args))
      : new Promise((resolve, reject) => original(...args, (err: unknown, result: unknown) => (err ? reject(err) : resolve(result))));

  const guarded = async (args: unknown[]): Promise<unknown> => {
    if (policy.isFailed(plugin)) return undefined;
    try {
      return await withTimeout(run(args), policy.timeoutMs, () => new PluginTimeoutError(plugin, hookName, policy.timeoutMs));
    } catch (error) {
      const tagged = tag(error);
      if (!policy.isolated) throw tagged;
      policy.report(tagged);
      return undefined;
    }
  };

  if (tap.type === 'promise') {
    tap.fn = (...args: unknown[]) => guarded(args);
  } else {
    tap.fn = (...args: unknown[]) => {
      const callback = args.pop() as (err: unknown, result?: unknown) => void;
      guarded(args).then(
        (result) => callback(null, result),
        (error) => callback(error),
      );
    };
  }
}
