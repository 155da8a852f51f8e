#!/usr/bin/env node
// The `erpgov` command. The project runs its TypeScript sources directly through tsx, so the
// code the CLI runs is the code the Lambdas bundle.
import { register } from 'tsx/esm/api';

register();
await import('../cli/erpgov.ts');
