/**
 * The `erpgov` command's dispatch: `erpgov --help` lists the commands; every command and
 * subcommand answers `--help` (cli/usage.ts). Bad input is one line naming the value and what
 * is allowed, exit status 2, nothing written; a failure of the system is exit status 1.
 * (cli/erpgov.ts runs it; tests call `runCli` in-process.)
 */
import { runAuditCommand } from './audit.ts';
import { runEvidenceCommand } from './evidence/evidence-command.ts';
import { runFindingsCommand } from './findings.ts';
import { runExportCommand } from './ocsf/ocsf-command.ts';
import { runDeadLetterCommand, runRejectedCommand } from './inspect.ts';
import { runNotificationsCommand } from './notifications.ts';
import { runReplayCommand } from './replay.ts';
import { runReportCommand } from './report.ts';
import { runRoutesCommand } from './routes.ts';
import { runScheduleCommand } from './schedule.ts';
import { runSendExample } from './send-example.ts';
import { runSimulateCommand } from './simulate.ts';
import { runSqlCommand } from './sql/sql-command.ts';
import { runStart } from './start.ts';
import { COMMAND_HELP, isUsageError, USAGE, wantsHelp } from './usage.ts';

const commands: Readonly<Record<string, (args: string[]) => number | Promise<number>>> = {
  start: runStart,
  'send-example': runSendExample,
  routes: runRoutesCommand,
  schedule: runScheduleCommand,
  replay: runReplayCommand,
  simulate: runSimulateCommand,
  findings: runFindingsCommand,
  audit: runAuditCommand,
  dlq: runDeadLetterCommand,
  rejected: runRejectedCommand,
  notifications: runNotificationsCommand,
  report: runReportCommand,
  evidence: runEvidenceCommand,
  sql: runSqlCommand,
  export: runExportCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    const topic = command === 'help' ? rest[0] : undefined;
    process.stdout.write(topic !== undefined && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = commands[command];
  if (!run) {
    process.stderr.write(`erpgov: unknown command "${command}"; allowed: ${Object.keys(commands).join(', ')}\n\n${USAGE}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    process.stdout.write(COMMAND_HELP[command] ?? USAGE);
    return 0;
  }
  return run(rest);
}

/** Runs a command line and returns its exit status; errors become one line on stderr. */
export async function runCli(argv: string[]): Promise<number> {
  return main(argv).catch((err: unknown) => {
    process.stderr.write(`erpgov: ${(err as Error).message}\n`);
    return isUsageError(err) ? 2 : 1;
  });
}
