/**
 * Event-pattern matching speed, against JSON.stringify of the same events in the same run.
 *   npx tsx bench/event-pattern.bench.ts [--rounds 200000]
 * Prints matches/s for a few compiled patterns and the ratio to stringify/s (above 1 means
 * matching an event is cheaper than serialising it once). The machine is shared and noisy:
 * read the ratios, not the absolute figures.
 */
import { parseArgs } from 'node:util';
import { compileEventPattern } from '../infra/event-pattern/index.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '200000' } } });
const rounds = Number(values.rounds);

const events = Array.from({ length: 64 }, (_, i) => ({
  version: '0',
  id: `evt-${i}`,
  'detail-type': i % 3 === 0 ? 'Role Assigned' : 'Backup Completed',
  source: i % 2 === 0 ? 'erp.sap' : 'erp.oracle',
  account: '111122223333',
  time: '2026-11-29T02:00:00Z',
  region: 'eu-central-1',
  resources: [`arn:aws:erp:eu-central-1:111122223333:system/${i}`],
  detail: {
    user: `user${i}`,
    role: i % 4 === 0 ? 'ADMIN_BASIS' : 'DISPLAY',
    amount: i * 1000.5,
    'source-ip': `10.0.${i}.7`,
    lines: [{ account: '1000', amount: i }, { account: '4711', amount: i * 10 }],
  },
}));

const patterns: Record<string, unknown> = {
  'role assigned (exact + prefix)': { source: ['erp.sap'], 'detail-type': ['Role Assigned'], detail: { role: [{ prefix: 'ADMIN' }] } },
  'numeric + cidr + anything-but': {
    detail: { amount: [{ numeric: ['>', 5000, '<=', 50000] }], 'source-ip': [{ cidr: '10.0.0.0/16' }], user: [{ 'anything-but': ['user1', 'user2'] }] },
  },
  '$or over an array of objects': {
    detail: { lines: { account: ['4711'], $or: [{ amount: [{ numeric: ['>', 300] }] }, { flagged: [true] }] } },
  },
};

function perSecond(run: () => void): number {
  run(); // warm up
  const t0 = performance.now();
  run();
  return (rounds / (performance.now() - t0)) * 1000;
}

let sink = 0;
const stringifyRate = perSecond(() => {
  for (let i = 0; i < rounds; i++) sink += JSON.stringify(events[i & 63]).length;
});
console.log(`baseline JSON.stringify(event): ${Math.round(stringifyRate).toLocaleString('en')} /s`);

for (const [name, pattern] of Object.entries(patterns)) {
  const compiled = compileEventPattern(pattern);
  let hits = 0;
  const rate = perSecond(() => {
    for (let i = 0; i < rounds; i++) if (compiled.matches(events[i & 63])) hits++;
  });
  sink += hits;
  console.log(`${name}: ${Math.round(rate).toLocaleString('en')} matches/s, ${(rate / stringifyRate).toFixed(1)}x stringify`);
}
if (sink === -1) console.log(sink); // keep the work observable so it is not optimised away
