/**
 * The CLI's help, one text per command, and its answer to bad input: a `UsageError` is one
 * line naming the value and what is allowed, printed as `erpgov: <message>`, exit status 2,
 * and nothing written. Every command and subcommand answers `--help` (or `-h`) from here.
 */
import { PeriodError } from '../functions/shared/evidence/period.ts';

/** Bad input: exit 2, one line, nothing written. */
export class UsageError extends Error {}

/** Whether an error is the user's input (exit 2) rather than the system's (exit 1). */
export function isUsageError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return err instanceof UsageError || err instanceof PeriodError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
}

export const wantsHelp = (args: readonly string[]) => args.includes('--help') || args.includes('-h');

const DATA_DIR = '--data-dir DIR            the data folder (default: $ERPGOV_DATA_DIR or ./.erpgov); the running runtime is found through DIR/runtime.json';

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  start: `usage: erpgov start [--data-dir DIR] [--port N] [--dynamodb-port N] [--policy FILE] [--max-backlog N]

Runs the pipeline locally (no AWS account needed) until Ctrl-C, and writes its endpoints to
DIR/runtime.json so every other command finds it.
  ${DATA_DIR}
  --port N                  EventBridge endpoint port (default: $ERPGOV_EVENTBRIDGE_PORT or 4010; 0 picks a free one)
  --dynamodb-port N         DynamoDB endpoint port (default: $ERPGOV_DYNAMODB_PORT or 4011)
  --policy FILE             governance policy JSON (default: $ERPGOV_POLICY_FILE or the shipped defaults)
  --max-backlog N           undelivered events held before PutEvents answers ThrottlingException, which
                            the AWS SDKs retry with back-off (default: $ERPGOV_MAX_BACKLOG or 200000)
`,
  'send-example': `usage: erpgov send-example [DETAIL-TYPE] [--source erp.SYSTEM] [--endpoint URL] [--data-dir DIR]

Puts the shipped example of DETAIL-TYPE (default "Operation Audited") on the running local bus.
  --source S                the Source (default erp.sap); erpgov.* and aws.* are refused at the door
  --endpoint URL            the EventBridge endpoint (default: the running runtime's, else
                            $AWS_ENDPOINT_URL_EVENTBRIDGE, else 127.0.0.1:$ERPGOV_EVENTBRIDGE_PORT or 4010)
  ${DATA_DIR}
`,
  routes: `usage: erpgov routes

Prints the routing table: every function, its event patterns and its schedules.
`,
  schedule: `usage: erpgov schedule list [--json] [--data-dir DIR]
       erpgov schedule run SCHEDULE-ID [--at TIME] [--json] [--data-dir DIR]

list   every schedule with its expression, next and last fire times (from the running runtime,
       or from DIR when it is stopped)
run    fires one schedule on the running runtime now, exactly as the scheduler would (an
       EventBridge "Scheduled Event" whose resources[0] is the rule ARN ending with the id),
       waits for it, and prints what the invocation returned and what it published
  --at TIME                 the fire time (ISO 8601, e.g. 2026-11-30T10:45:00Z): a sweep "as of" that moment
  ${DATA_DIR}
`,
  replay: `usage: erpgov replay FILE.jsonl [--unordered] [--json] [--data-dir DIR]

Sends every line of FILE into the running runtime, keeping its event time. A line is either a
PutEvents entry {"Source","DetailType","Detail"[,"Time","Resources"]} — judged by the endpoint
like any PutEvents — or a complete EventBridge event as AWS delivers it {"id","source",
"detail-type","time","detail",...}, injected through the runtime's admin channel: AWS service
events (aws.backup, aws.cloudwatch, ...) exactly as AWS emits them (the only way aws.* enters
locally); erpgov.* is always refused. Prints accepted/refused counts and every refusal's reason;
exit 1 when any line was refused.
  --unordered               send batches of 10 and let the bus deliver them concurrently, as
                            EventBridge would; by default each line is sent once everything the
                            previous line caused has been delivered (a series judged in order)
  ${DATA_DIR}
`,
  simulate: `usage: erpgov simulate --events FILE.jsonl --out DIR [--policy FILE] [--from TIME --to TIME] [--data-dir DIR]

Runs the whole pipeline over the events on a virtual clock, in a throw-away data folder: events
in event-time order, every schedule at each of its simulated times between them. Writes
DIR/findings.jsonl (raised, updated, resolved, acknowledged, excepted, with simulated times),
DIR/commands.jsonl, DIR/notifications.jsonl (what would have been sent), DIR/reports/ (every
report due in the period) and DIR/summary.json. The same input gives byte-identical output.
  --events FILE             JSON Lines, the shapes \`erpgov replay\` takes; every line needs its time
  --out DIR                 where the results go (created; files there are replaced)
  --policy FILE             the policy to try (default: $ERPGOV_POLICY_FILE or the shipped defaults)
  --from TIME --to TIME     the period (default: first to last event); schedules fire up to --to
  --data-dir DIR            run in DIR (new or empty) and keep it as a data folder: its archive
                            and state table, so \`erpgov evidence --data-dir DIR --period ...\`,
                            report, findings and audit read the simulated period
`,
  findings: `usage: erpgov findings list [--open] [--area AREA] [--control N.N] [--severity S] [--json] [--data-dir DIR]
       erpgov findings show FINDING-ID [--json] [--data-dir DIR]
       erpgov findings ack FINDING-ID --by PERSON [--note TEXT] [--data-dir DIR]
       erpgov findings exception FINDING-ID --owner PERSON --until DATE --reason TEXT [--by PERSON] [--data-dir DIR]

list       the findings in the state table (running runtime, or DIR when stopped)
  --open                    only live ones (open, acknowledged, excepted)
  --area A                  backup, access, performance, change, incident, audit
  --control N.N             a control of the guide, e.g. 2.3
  --severity S              critical, high, medium, low
show       its evidence, its history, and the commands issued for it (with the commandId the ERP quotes back)
ack        someone is on it: a "Finding Acknowledged" event (source erp.operator) on the running bus
exception  a documented, expiring exception: a "Finding Exception Granted" event; the finding stays
           quiet until DATE (YYYY-MM-DD: through that day, UTC; or an ISO time), then opens again
           if its condition is still there
ack and exception refuse an unknown or resolved finding (exit 2) and need the runtime running.
  ${DATA_DIR}
`,
  audit: `usage: erpgov audit verify [--from YYYY-MM-DD --to YYYY-MM-DD] [--json] [--data-dir DIR]
       erpgov audit search [KEYWORD] [--actor A --action A --module M --source S --from T --to T --limit N --grant ID --json --athena] [--data-dir DIR]

verify  recomputes the audit trail's hash chains (and checks the archived head anchors); exit 1 on a broken link
search  keyword and field search over the trail; --athena prints the same search as Athena SQL (AWS):
        the named auditor query audit-search (erpgov sql --query audit-search runs it on DuckDB).
        --to defaults to today: records keep the time the event claimed, so a future-dated one
        (marked FUTURE-DATED) needs --to at or after its date
Both use the running runtime (found through DIR/runtime.json) or open DIR when it is stopped.
`,
  dlq: `usage: erpgov dlq list [--json] [--data-dir DIR]

Deliveries that kept failing (or could never succeed), with their last error. Works with the runtime up or down.
`,
  rejected: `usage: erpgov rejected list [--json] [--data-dir DIR]

PutEvents entries refused at the door, with the reason. Works with the runtime up or down.
`,
  notifications: `usage: erpgov notifications list [--state pending|sent|dead] [--limit N] [--json] [--data-dir DIR]

The notifier's outbox: waiting for a channel, delivered, dead-lettered (with why).
`,
  report: `usage: erpgov report permissions [--month YYYY-MM] [--format json|csv|md] [--out DIR] [--data-dir DIR] [--policy FILE]
       erpgov report backups     [--month YYYY-MM] [--format json|csv|md] [--out DIR] [--data-dir DIR] [--policy FILE]
       erpgov report changes     [--month YYYY-MM] [--format json|csv|md] [--out DIR] [--data-dir DIR] [--policy FILE]
       erpgov report operations  [--quarter YYYY-Qn] [--format json|csv|md] [--out DIR] [--data-dir DIR] [--policy FILE]

permissions: the monthly permission audit (guide 2.5). backups: per catalogue dataset and
tier, the month's backup evidence (1.1-1.3). changes: every change with its sign-offs, tests,
versions, freeze/emergency status, and unmatched production edits (4.1-4.4). operations:
threshold episodes, incidents with MTTA/MTTR against targets, drills with the RTO trend,
standby readiness (3.1-3.2, 5.1-5.3). Each prints one format (Markdown by default), or with
--out writes DIR/reports/<report>/<period>.{json,csv,md}.
`,
  evidence: `usage: erpgov evidence --period P --out DIR [--lang en|zh] [--data-dir DIR] [--policy FILE]
       erpgov evidence verify DIR

The auditor's evidence pack for the guide's 22 controls (1.1-6.4) over a period: per control
its status (met, findings open, findings resolved, exception, no data) and its figures, the
findings with their timelines, the areas' reports, the audit trail's verification and the
archive manifests; index.html (self-contained, opens from disk), index.json, findings as CSV
and JSONL, and DIR/manifest.json (SHA-256 of every file, signed with Ed25519).
  --period P                YYYY-MM, YYYY-Qn or YYYY-MM-DD..YYYY-MM-DD (days included); not in the future
  --out DIR                 a new or empty folder (the pack appears there whole, or not at all)
  --lang en|zh              the language of index.html (default en; both are in index.json)
  ${DATA_DIR}
verify DIR: checks every file's hash and the signature offline; names each changed, added or
removed file and exits 1 then.
`,
  sql: `usage: erpgov sql "QUERY" [--format table|csv|json] [--data-dir DIR]
       erpgov sql --query NAME --period YYYY-MM [--format table|csv|json] [--athena]
       erpgov sql --query audit-search --period YYYY-MM [--actor A --action A --module M --source S --keyword K --limit N] [--athena]
       erpgov sql --list

SQL (DuckDB, in memory) over the local archive and the findings, with the tables named and
typed like the Glue tables on AWS: audit_records, findings, permission_report, backup_report,
change_report, operations_report. --query runs a named auditor query (--list names them);
with --athena it prints the same SQL for Athena instead. A query with a syntax error or an
unknown table is one line, exit 2.
  --format F                table (default), csv or json
  ${DATA_DIR}
`,
  export: `usage: erpgov export ocsf --period P --out DIR [--data-dir DIR]

The period's audit records and findings as OCSF 1.3 events, one JSON object a line per class:
authentication.jsonl (Login → 3002), account_change.jsonl (roles, grants, departures and
transfers → 3001), api_activity.jsonl (every other operation → 6003), compliance_finding.jsonl
(findings → 2003, with the guide's control and the evidence), for a security lake.
  --period P                YYYY-MM, YYYY-Qn or YYYY-MM-DD..YYYY-MM-DD
  --out DIR                 a new or empty folder
  ${DATA_DIR}
`,
};

export const USAGE = `usage: erpgov <command> [options]     (every command answers --help)

commands:
  start                         run the pipeline locally (no AWS account needed)
  send-example [DETAIL-TYPE]    send one example event to the running local bus
  routes                        print the routing table
  schedule list | run ID [--at TIME]   list schedules; fire one now on the running runtime
  replay FILE.jsonl             send a file of events (PutEvents entries or complete AWS events) into the running runtime
  simulate --events FILE --out DIR [--policy FILE] [--from T --to T] [--data-dir D]
                                the whole pipeline over a period on a virtual clock (policy dry-run)
  findings list | show ID | ack ID | exception ID   see and handle findings
  audit verify | search         check and search the audit trail
  dlq list | rejected list      inspect dead letters and rejected entries
  notifications list            the notifier's outbox: pending, sent, dead
  report permissions            the monthly permission audit (guide 2.5)
  report backups | changes      the monthly backup (1.1-1.3) and change (4.1-4.4) reports
  report operations             the quarterly operations report (3.1-3.2, 5.1-5.3)
  sql "QUERY" | --query NAME    SQL over the archive and findings (DuckDB; the same tables as Athena)
  export ocsf --period P --out DIR   audit records and findings as OCSF events (3002, 3001, 6003, 2003)
  evidence --period P --out DIR the auditor's signed evidence pack for all 22 controls; evidence verify DIR

Commands find the running runtime through <data folder>/runtime.json (--data-dir DIR,
$ERPGOV_DATA_DIR, default ./.erpgov). Bad input: one line naming the value, exit status 2.
`;
