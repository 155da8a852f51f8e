/** erpgov: the pipeline's command-line tool (bin/erpgov.mjs runs this file). See cli/main.ts. */
import { runCli } from './main.ts';

process.exitCode = await runCli(process.argv.slice(2));
