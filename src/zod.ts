// zod for every schema of ours: zod/mini's functions, imported by name so the bundle keeps only the ~50 KB
// we use (classic zod is ~750 KB, about 25 ms of every command's start), with English messages.
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
export { $ZodError } from 'zod/v4/core';
