/** `@whatnext/core` in this repository's tests is core's sources, as tsconfig.json's `paths` say
 * for tsc, tsx and esbuild; a consumer gets the built package (tools/core-package.test.ts). */
import { fileURLToPath } from 'node:url';

const source = (path: string) => fileURLToPath(new URL(`../core/${path}`, import.meta.url));

export const coreSourceAlias = [
  { find: /^@whatnext\/core$/, replacement: source('index.ts') },
  { find: /^@whatnext\/core\/testing$/, replacement: source('testing/index.ts') },
];
