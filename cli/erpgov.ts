/**
 * erpgov: the pipeline's command-line tool.
 *   erpgov start                       run the local pipeline (dynalite + EventBridge endpoint + functions)
 *   erpgov send-example [DETAIL-TYPE]  put an example event on the running local bus
 *   erpgov routes                      print the routing table
 *   erpgov audit verify | search       check and search the audit trail
 *   erpgov dlq list | rejected list    inspect dead letters and rejected entries
 *   erpgov notifications list          the notifier's outbox: pending, sent, dead
 *   erpgov report permissions          the monthly permission audit (guide 2.5)
 *   erpgov report backups              the monthly backup report (guide 1.1-1.3)
 *   erpgov report changes              the monthly change report (guide 4.1-4.4)
 *   erpgov report operations           the quarterly operations report (guide 3.1-3.2, 5.1-5.3)
 */
import { runAuditCommand } from './audit.ts';
import { runDeadLetterCommand, runRejectedCommand } from './inspect.ts';
import { runNotificationsCommand } from './notifications.ts';
import { runReportCommand } from './report.ts';
import { runRoutesCommand } from './routes.ts';
import { runSendExample } from './send-example.ts';
import { runStart } from './start.ts';

const USAGE = `usage: erpgov <command> [options]

commands:
  start                         run the pipeline locally (no AWS account needed)
      --data-dir DIR            where state lives (default: $ERPGOV_DATA_DIR or ./.erpgov)
      --port N                  EventBridge endpoint port (default: $ERPGOV_EVENTBRIDGE_PORT or 4010)
      --dynamodb-port N         DynamoDB endpoint port (default: $ERPGOV_DYNAMODB_PORT or 4011)
      --policy FILE             governance policy JSON (default: $ERPGOV_POLICY_FILE or the shipped defaults)
  send-example [DETAIL-TYPE]    send one example event (default "Operation Audited") to the local endpoint
      --endpoint URL            (default: http://127.0.0.1:4010)
  routes                        print the routing table (functions, patterns, schedules)
  audit verify [--from D --to D]   recompute the audit trail's hash chains; exit 1 on a broken link
  audit search [KEYWORD] [--actor A --action A --module M --source S --from T --to T --limit N --grant ID --json --athena]
  dlq list                      deliveries that kept failing, with their last error
  rejected list                 PutEvents entries refused at the door, with the reason
      --data-dir DIR --json     (both inspection commands)
  notifications list [--state pending|sent|dead] [--limit N] [--json] [--data-dir DIR]
                                the notifier's outbox: waiting for a channel, delivered, dead-lettered (with why)
  report permissions [--month YYYY-MM] [--format json|csv|md] [--out DIR] [--data-dir DIR] [--policy FILE]
                                the monthly permission audit (2.5): prints one format, or with --out writes
                                DIR/reports/permissions/YYYY-MM.{json,csv,md}
  report backups [--month YYYY-MM] [--format json|csv|md] [--out DIR] [--data-dir DIR] [--policy FILE]
                                the monthly backup report (1.1-1.3) per dataset and tier; with --out writes
                                DIR/reports/backups/YYYY-MM.{json,csv,md}
  report changes [--month YYYY-MM] [--format json|csv|md] [--out DIR] [--data-dir DIR] [--policy FILE]
                                the monthly change report (4.1-4.4): every change, its sign-offs, tests, versions,
                                freeze/emergency status, and unmatched production edits; --out writes DIR/reports/changes/
  report operations [--quarter YYYY-Qn] [--format json|csv|md] [--out DIR] [--data-dir DIR] [--policy FILE]
                                threshold episodes, incidents with MTTA/MTTR against targets, drill RTO trend,
                                standby readiness (3.1-3.2, 5.1-5.3); with --out writes
                                DIR/reports/operations/YYYY-Qn.{json,csv,md}
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return runStart(rest);
    case 'send-example':
      return runSendExample(rest);
    case 'routes':
      return runRoutesCommand(rest);
    case 'audit':
      return runAuditCommand(rest);
    case 'dlq':
      return runDeadLetterCommand(rest);
    case 'rejected':
      return runRejectedCommand(rest);
    case 'notifications':
      return runNotificationsCommand(rest);
    case 'report':
      return runReportCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`erpgov: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`erpgov: ${(err as Error).message}\n`);
  return 1;
});
