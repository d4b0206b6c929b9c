/** Vitest setup file: after each test file, remove the folders its tests made (temp-dirs.ts). */
import { afterAll } from 'vitest';
import { removeTempDirs } from './temp-dirs';

afterAll(removeTempDirs);
