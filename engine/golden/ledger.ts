// The bless ledger, golden/LEDGER.jsonl: one canonical JSON line per bless (schema 2): who, when,
// at which commit, why, and every golden it created, changed, restamped or deleted. Lines of
// schema 1 (one per golden, no date) are still read. It is history, not a golden: the date lives
// here and only here (FORMAT.md says why), and nothing that check compares reads it. Appended with
// one write() under the bless lock: O(1) per bless however long the ledger is, a crash can at
// worst cut the last line (which readLedger reports), and two branches that both bless conflict
// at the end of the file, which is what we want: the second must re-check after merging the first.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { readInputText } from '../util/input-file';
import { canonicalJson } from '../util/canonical-json';
import { writeAllToFd } from '../util/fd-writer';
import { injectFault } from '../util/faults';
import { fileError } from '../util/fs-error';
import { makeDirs } from '../util/output-file';
import { BlessStamp, UNSTAMPED } from './stamp';

export const LEDGER_NAME = 'LEDGER.jsonl';
export const LEDGER_SCHEMA = 2;
/** Read whole (check audits every golden against it); far above a century of blesses. */
const MAX_LEDGER_BYTES = 1 << 30;

export type LedgerAction = 'create' | 'update' | 'restamp' | 'delete';

/** What one bless did to one golden. */
export interface LedgerEntry {
  golden: string;
  action: LedgerAction;
  trace: string | null;
  policy: string | null;
  policyDigest: string | null;
  traceDigest: string | null;
  /** Body sha256 before and after (null: no golden before / after). */
  oldBody: string | null;
  newBody: string | null;
  /** Set when the new golden stores no body and shares this policy's. */
  sameAs: string | null;
  gicreplay: string;
  model: number;
  reason: string;
  /** The golden was not named but --wide let the bless touch it. */
  wide: boolean;
  /** Schema 2: the bless's stamp (absent in schema-1 lines, which have none). */
  at?: string | null;
  by?: string | null;
  commit?: string | null;
  command?: string;
  /** 1-based line of the ledger the entry was read from. */
  line?: number;
}

/** One bless as the ledger holds it: the stamp and reason once, its goldens listed. */
export interface LedgerBless {
  line: number;
  schema: number;
  at: string | null;
  by: string | null;
  commit: string | null;
  command: string;
  gicreplay: string;
  model: number;
  reason: string;
  goldens: LedgerEntry[];
}

const GOLDEN_KEYS = ['golden', 'action', 'trace', 'policy', 'policyDigest', 'traceDigest', 'oldBody', 'newBody', 'sameAs', 'wide'] as const;

export function ledgerPath(goldenDir: string): string {
  return path.join(goldenDir, LEDGER_NAME);
}

/**
 * Append one bless: one line listing every golden it wrote or removed. The entries share one
 * reason, gicreplay and model version (one bless); the stamp says who, when and at which commit.
 */
export function appendLedger(goldenDir: string, entries: readonly LedgerEntry[], stamp: BlessStamp = UNSTAMPED): void {
  if (!entries.length) return;
  const first = entries[0];
  if (entries.some((e) => e.reason !== first.reason || e.gicreplay !== first.gicreplay || e.model !== first.model)) throw new Error('appendLedger: one bless has one reason, gicreplay and model version');
  const record = {
    schema: LEDGER_SCHEMA,
    at: stamp.at,
    by: stamp.by,
    commit: stamp.commit,
    command: stamp.command,
    gicreplay: first.gicreplay,
    model: first.model,
    reason: first.reason,
    goldens: entries.map((e) => Object.fromEntries(GOLDEN_KEYS.map((k) => [k, e[k]]))),
  };
  const file = ledgerPath(goldenDir);
  makeDirs(goldenDir, 'ledger');
  let fd: number;
  try {
    injectFault('open', file);
    fd = fs.openSync(file, 'a');
  } catch (e) {
    throw fileError(e, file, 'append to the ledger');
  }
  try {
    // One write: a crash (or a full disk) can at worst cut this line, which readLedger reports.
    const b = Buffer.from(canonicalJson(record) + '\n', 'utf8');
    writeAllToFd(fd, b, 0, b.length, file, 'append to the ledger', false);
    try {
      injectFault('fsync', file);
      fs.fsyncSync(fd);
    } catch (e) {
      throw fileError(e, file, 'append to the ledger');
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Every bless in ledger order; a schema-1 line (one golden, no stamp) is a bless of its own. */
export function readLedgerBlesses(goldenDir: string): LedgerBless[] {
  const file = ledgerPath(goldenDir);
  try {
    fs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
  }
  const text = readInputText(file, 'ledger', MAX_LEDGER_BYTES);
  const out: LedgerBless[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new InputError('ledger ends in the middle of a line (a bless crashed while appending?)', { file, line: lines.length }, 'one JSON object per line, each ending in LF');
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  for (let i = 0; i < lines.length - 1; i++) {
    let v: unknown;
    try {
      v = JSON.parse(lines[i]);
    } catch (e) {
      throw new InputError(`ledger line is not JSON: ${(e as Error).message}`, { file, line: i + 1 }, 'one JSON object per line');
    }
    if (!isObj(v)) throw new InputError('ledger line is not a JSON object', { file, line: i + 1 });
    const line = i + 1;
    if (v.schema === undefined) {
      // Schema 1: one golden per line, no stamp.
      const o = v as Partial<LedgerEntry>;
      if (typeof o.golden !== 'string' || typeof o.reason !== 'string' || typeof o.action !== 'string') throw new InputError('ledger line lacks golden, action or reason', { file, line });
      // Schema-1 blesses wrote one line per golden: consecutive lines of one reason were one bless.
      const prev = out[out.length - 1];
      const entry = { ...(o as LedgerEntry), line };
      if (prev && prev.schema === 1 && prev.reason === o.reason && prev.model === Number(o.model ?? 0) && prev.gicreplay === String(o.gicreplay ?? '')) prev.goldens.push(entry);
      else out.push({ line, schema: 1, at: null, by: null, commit: null, command: 'bless', gicreplay: String(o.gicreplay ?? ''), model: Number(o.model ?? 0), reason: o.reason, goldens: [entry] });
      continue;
    }
    if (typeof v.schema !== 'number' || v.schema > LEDGER_SCHEMA) throw new InputError(`ledger line has schema ${JSON.stringify(v.schema)}, newer than this gicreplay reads`, { file, line }, `schema ${LEDGER_SCHEMA} or a line without one`);
    if (typeof v.reason !== 'string' || !Array.isArray(v.goldens)) throw new InputError('ledger line lacks reason or goldens', { file, line }, 'a bless: {schema, at, by, commit, reason, goldens: [...]}');
    const b: LedgerBless = { line, schema: v.schema, at: str(v.at), by: str(v.by), commit: str(v.commit), command: str(v.command) ?? 'bless', gicreplay: String(v.gicreplay ?? ''), model: Number(v.model ?? 0), reason: v.reason, goldens: [] };
    for (const g of v.goldens) {
      if (!isObj(g) || typeof g.golden !== 'string' || typeof g.action !== 'string') throw new InputError('ledger line lists a golden without golden or action', { file, line });
      b.goldens.push({ ...(g as unknown as LedgerEntry), reason: b.reason, gicreplay: b.gicreplay, model: b.model, at: b.at, by: b.by, commit: b.commit, command: b.command, line });
    }
    out.push(b);
  }
  return out;
}

/** Every golden's change in ledger order, one entry per golden per bless. */
export function readLedger(goldenDir: string): LedgerEntry[] {
  return readLedgerBlesses(goldenDir).flatMap((b) => b.goldens);
}

/** golden path -> the body sha256 its latest ledger entry recorded (null after a delete). */
export function latestBodies(entries: readonly LedgerEntry[]): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const e of entries) m.set(e.golden, e.newBody);
  return m;
}

export const UNRECORDED = 'no ledger entry records this body (made or changed outside `gicreplay bless`?)';
