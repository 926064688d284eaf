// One measurement in its own process: `node dist/tools/bench/measure.js <kind> <file> [policy]`.
// Prints one JSON line {kind, events, ms, maxRssKiB}. run.ts starts several of these and takes
// medians, so one process's JIT or GC luck does not decide a number.

import * as fs from 'fs';
import { UnpackrStream } from 'msgpackr';
import { getPolicy } from '../../engine/policy/policy';
import { ReplayRecord } from '../../engine/replay/records';
import { replayFile } from '../../engine/replay/replay';
import { openTrace } from '../../engine/trace/reader';

export type MeasureKind = 'decode' | 'reader' | 'replay';

export interface Measurement {
  kind: MeasureKind;
  events: number;
  records: number;
  ms: number;
  maxRssKiB: number;
}

function elapsedMs(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** msgpackr alone, streaming: the floor any reader of this format pays. Counts event arrays. */
function decodeFloor(file: string): Promise<{ events: number; records: number }> {
  return new Promise((resolve, reject) => {
    let events = 0;
    const s = new UnpackrStream({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' } as ConstructorParameters<typeof UnpackrStream>[0]);
    s.on('data', (v: unknown) => {
      if (Array.isArray(v)) events++;
    });
    s.on('end', () => resolve({ events, records: 0 }));
    s.on('error', reject);
    const rs = fs.createReadStream(file);
    rs.on('error', reject);
    rs.pipe(s);
  });
}

/** The streaming reader alone, on this thread: what reading costs (a replay reads ahead on a thread instead). */
function readerOnly(file: string): { events: number; records: number } {
  const r = openTrace(file, { readAhead: false });
  let events = 0;
  try {
    while (r.next()) events++;
  } finally {
    r.close();
  }
  return { events, records: 0 };
}

function replayOnly(file: string, policyId: string): { events: number; records: number } {
  let records = 0;
  // The cheapest sink that still looks at each record, so no work is optimised away.
  let irqs = 0;
  const sink = (r: ReplayRecord) => {
    records++;
    if (r.op === 'irq') irqs++;
  };
  const s = replayFile(file, { policy: getPolicy(policyId) }, sink);
  if (irqs < 0) throw new Error('unreachable');
  return { events: s.events, records };
}

async function main(argv: string[]): Promise<void> {
  const [kind, file, policy = 'rev3'] = argv;
  if (!file || !['decode', 'reader', 'replay'].includes(kind)) {
    process.stderr.write('usage: measure.js decode|reader|replay FILE [POLICY]\n');
    process.exit(2);
  }
  const t0 = process.hrtime.bigint();
  const r = kind === 'decode' ? await decodeFloor(file) : kind === 'reader' ? readerOnly(file) : replayOnly(file, policy);
  const ms = elapsedMs(t0);
  const m: Measurement = { kind: kind as MeasureKind, events: r.events, records: r.records, ms, maxRssKiB: process.resourceUsage().maxRSS };
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
