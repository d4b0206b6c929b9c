/**
 * The few IPC messages between main and the preload. Everything else (every request and event
 * of the app) travels on the MessagePort straight to the service, never through main.
 *
 *   preload → main  HELLO    "this page wants a service port" (checked: our window, our origin)
 *   main → preload  PORT     a MessagePort to the service, after each (re)start or reload
 *   main → preload  SERVICE  the supervisor's status (restarting, failed, ...)
 */
import { z } from 'zod';

export const HELLO_CHANNEL = 'whatnext:hello';
export const PORT_CHANNEL = 'whatnext:port';
export const SERVICE_CHANNEL = 'whatnext:service';

/** What the supervisor says about the service process; validated again in the preload. */
export const ServiceLifecycle = z.discriminatedUnion('state', [
  z.object({ state: z.literal('idle') }),
  z.object({ state: z.literal('starting'), attempt: z.number().int().nonnegative() }),
  z.object({ state: z.literal('running'), pid: z.number().int().optional(), restarts: z.number().int().nonnegative() }),
  z.object({
    state: z.literal('restarting'),
    exitCode: z.number().int(),
    delayMs: z.number().nonnegative(),
    recentCrashes: z.number().int().nonnegative(),
  }),
  z.object({ state: z.literal('failed'), message: z.string().max(1000), recentCrashes: z.number().int().nonnegative() }),
  z.object({ state: z.literal('stopping') }),
  z.object({ state: z.literal('stopped') }),
]);
export type ServiceLifecycle = z.infer<typeof ServiceLifecycle>;
