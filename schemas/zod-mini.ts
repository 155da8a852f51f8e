/**
 * zod/mini for every schema a Lambda bundle carries (the contract, the envelope, the AWS
 * service events): the functional API (`z.optional(x)`, `.check(...)`) at
 * about a third of classic zod's bytes and import time. The CLI-only policy schema stays classic.
 *
 * zod/mini ships no messages; the refusals (schemas/issues.ts) rephrase most issues and fall
 * back on zod's English ones, so the English locale is configured here, once, by every module
 * that builds a schema importing zod through this file: `import * as z from './zod-mini.ts'`.
 */
import { config } from 'zod/mini';
// The locale file itself: reaching it through the `locales` namespace would bundle all ~50.
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
