/**
 * Approval policy: at most `perMinute` incoming requests per remote (by claimed peer id, or by
 * method for anonymous attempts) in a sliding minute; the excess is refused with a reason
 * before anyone is asked. A plugin like any other: it taps `approve`.
 */
import { z } from 'zod';
import { definePlugin } from '../plugin';

export const rateLimit = definePlugin({
  name: 'rate-limit',
  version: '1.0.0',
  api: '^2.0.0',
  description: 'Refuses more than a set number of incoming connection requests per remote per minute.',
  options: z
    .object({
      perMinute: z.number().int().min(1).max(1000).default(10).describe('Incoming requests allowed per remote per minute'),
    })
    .strict(),
  liveOptions: ['perMinute'],
  setup(ctx, options) {
    let { perMinute } = options;
    ctx.hooks.optionsChanged.for(ctx.name).tap((next) => ({ perMinute } = next as typeof options));
    const seen = new Map<string, number[]>();
    ctx.hooks.approve.tap((request) => {
      if (request.direction !== 'incoming') return undefined;
      const key = request.remote.id ?? `anonymous:${request.method}`;
      const now = Date.now();
      const recent = (seen.get(key) ?? []).filter((at) => now - at < 60_000);
      recent.push(now);
      seen.set(key, recent);
      if (recent.length <= perMinute) return undefined;
      return { approve: false, by: ctx.name, reason: `too many requests: at most ${perMinute} per minute are accepted from one peer` };
    });
  },
});
