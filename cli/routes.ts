/** `erpgov routes`: the routing table as the bus and the stack see it. */
import { routingTable } from '../infra/routes.ts';

export function runRoutesCommand(_args: string[]): number {
  for (const fn of routingTable) {
    process.stdout.write(`${fn.name} — ${fn.description}\n  handler: ${fn.entry}\n`);
    for (const rule of fn.rules) process.stdout.write(`  rule ${rule.id}: ${JSON.stringify(rule.eventPattern)}\n`);
    for (const s of fn.schedules) process.stdout.write(`  schedule ${s.id}: ${s.expression}\n`);
  }
  return 0;
}
