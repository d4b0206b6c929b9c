/** How the protocol's method maps are written: one params schema and one result schema each. */
import { z } from 'zod';

export const def = <P extends z.ZodType, R extends z.ZodType>(params: P, result: R) => ({ params, result });
export const Empty = z.object({}).strict();
