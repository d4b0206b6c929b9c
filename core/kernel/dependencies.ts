/**
 * The order plugins load in: the config's, except that a plugin comes after the plugins it
 * depends on (a stable topological sort). Plugins in a dependency cycle are set apart, with
 * the cycle, for the host to refuse. A dependency missing from the config is left for the host
 * to report when it loads the dependent.
 */
import type { PluginInstance } from '../plugin';

export function orderByDependencies(instances: readonly PluginInstance[]): {
  ordered: PluginInstance[];
  cycles: { instance: PluginInstance; cycle: string[] }[];
} {
  const byName = new Map<string, PluginInstance>();
  for (const instance of instances) {
    const name = String(instance.definition?.name);
    if (!byName.has(name)) byName.set(name, instance);
  }
  const ordered: PluginInstance[] = [];
  const cycles: { instance: PluginInstance; cycle: string[] }[] = [];
  const done = new Set<PluginInstance>();
  const visiting: string[] = [];

  const visit = (instance: PluginInstance): boolean => {
    if (done.has(instance)) return true;
    const name = String(instance.definition?.name);
    const at = visiting.indexOf(name);
    if (at >= 0) return false;
    visiting.push(name);
    let acyclic = true;
    for (const dependency of instance.definition?.dependencies ?? []) {
      const target = byName.get(dependency);
      if (target && !visit(target)) acyclic = false;
    }
    visiting.pop();
    done.add(instance);
    if (acyclic) ordered.push(instance);
    else cycles.push({ instance, cycle: cycleThrough(name, byName) });
    return acyclic;
  };
  for (const instance of instances) visit(instance);
  return { ordered, cycles };
}

/** The dependency path from `start` back to itself, for the message. */
function cycleThrough(start: string, byName: ReadonlyMap<string, PluginInstance>): string[] {
  const path = [start];
  const seen = new Set<string>();
  let current = start;
  for (let steps = 0; steps < byName.size; steps++) {
    const next = (byName.get(current)?.definition?.dependencies ?? []).find((d) => byName.has(d) && !seen.has(d));
    if (!next) break;
    path.push(next);
    if (next === start) break;
    seen.add(next);
    current = next;
  }
  return path;
}
