#!/usr/bin/env node
// The `erpgov` command. The project runs its TypeScript sources directly through tsx, so the
// code the CLI runs is the code the Lambdas bundle.
import { register } from 'tsx/esm/api';

// The pinned AWS SDK works on Node 20; its notice about future releases needing Node 22 would
// otherwise print on every command (see the README's requirements).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('../cli/erpgov.ts');
