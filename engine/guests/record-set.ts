// Record a set of catalogue guests to trace files: the library behind `gicreplay record guest`.
// Exit code 0 when every guest's own assertions held under its recording policy, 1 otherwise
// (failing guests' traces are not written, so a good trace is never replaced by a bad one).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../errors';
import { GuestDefinition } from './api';
import { describeFailure, recordGuest, RecordOptions, writeGuestTrace } from './recorder';
import type { Policy } from '../policy/policy';

export interface RecordSetOptions {
  /** Guest names to record; empty with `all` records the whole catalogue. */
  names: string[];
  all: boolean;
  /** Recording policy (ID or resolved policy) for every guest; default: each guest's own. */
  policy?: string | Policy;
  /** Output file (one guest only). */
  output?: string;
  /** Folder for <name>.gtr when no output file is given. */
  outDir: string;
  /**
   * Compare each fresh recording with the trace already on disk instead of writing it: exit 1
   * when one is missing or differs (the models or a guest changed what the guest sees).
   */
  check?: boolean;
  /** Injected models (tests). */
  models?: Pick<RecordOptions, 'modelFactory' | 'timerFactory'>;
}

export interface RecordSetResult {
  exitCode: 0 | 1;
  /** Progress lines for stdout. */
  out: string[];
  /** Failure lines for stderr. */
  err: string[];
}

export function pickGuests(catalogue: readonly GuestDefinition[], names: readonly string[], all: boolean): GuestDefinition[] {
  if (all && names.length) throw new UsageError('give guest names or --all, not both');
  if (all) return [...catalogue];
  if (!names.length) throw new UsageError(`name a guest or use --all; guests: ${catalogue.map((g) => g.name).join(', ')}`);
  return names.map((n) => {
    const g = catalogue.find((x) => x.name === n);
    if (!g) throw new UsageError(`unknown guest "${n}"; guests: ${catalogue.map((x) => x.name).join(', ')}`);
    return g;
  });
}

export function recordSet(catalogue: readonly GuestDefinition[], opts: RecordSetOptions): RecordSetResult {
  const guests = pickGuests(catalogue, opts.names, opts.all);
  if (opts.output && guests.length !== 1) throw new UsageError('-o/--output needs exactly one guest');
  const res: RecordSetResult = { exitCode: 0, out: [], err: [] };
  for (const g of guests) {
    const rec = recordGuest(g, { policy: opts.policy, ...opts.models });
    if (rec.failures.length) {
      res.exitCode = 1;
      for (const f of rec.failures) res.err.push(describeFailure(f, rec.policy.id));
      res.err.push(`guest ${g.name}: trace not written`);
      continue;
    }
    const file = opts.output ?? path.join(opts.outDir, `${g.name}.gtr`);
    if (opts.check) {
      const verdict = checkAgainst(rec, file);
      if (verdict) {
        res.exitCode = 1;
        res.err.push(`guest ${g.name}: ${file} ${verdict}; re-record it with \`gicreplay record guest ${g.name}\` and re-bless its goldens`);
      } else res.out.push(`${g.name}: ${file} is up to date`);
      continue;
    }
    const trailer = writeGuestTrace(rec, file);
    res.out.push(`${g.name}: ${trailer.events} events under ${rec.policy.id} -> ${file}`);
  }
  return res;
}

/** Why the trace on disk is not what recording now gives, or undefined when it is. */
function checkAgainst(rec: ReturnType<typeof recordGuest>, file: string): string | undefined {
  if (!fs.existsSync(file)) return 'is missing';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-guest-'));
  try {
    const fresh = path.join(dir, 'fresh.gtr');
    writeGuestTrace(rec, fresh);
    return fs.readFileSync(fresh).equals(fs.readFileSync(file)) ? undefined : 'differs from a fresh recording';
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
