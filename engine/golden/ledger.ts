// The bless ledger, golden/LEDGER.jsonl: one canonical JSON line per golden a bless created,
// changed, restamped or deleted, with the reason. No dates (goldens and ledger must be
// reproducible; git records when). Appended, one write() per line, under the bless lock: O(1)
// per bless however long the ledger is, a crash can at worst cut the last line (which
// readLedger reports), and two branches that both bless conflict at the end of the file,
// which is what we want: the second must re-check after merging the first.

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { readInputText } from '../util/input-file';
import { canonicalJson } from '../util/canonical-json';
import { writeAllToFd } from '../util/fd-writer';
import { injectFault } from '../util/faults';
import { fileError } from '../util/fs-error';
import { makeDirs } from '../util/output-file';

export const LEDGER_NAME = 'LEDGER.jsonl';
/** Read whole (check audits every golden against it); far above a century of blesses. */
const MAX_LEDGER_BYTES = 1 << 30;

export type LedgerAction = 'create' | 'update' | 'restamp' | 'delete';

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
}

export function ledgerPath(goldenDir: string): string {
  return path.join(goldenDir, LEDGER_NAME);
}

export function appendLedger(goldenDir: string, entries: readonly LedgerEntry[]): void {
  if (!entries.length) return;
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
    // One write per line: a crash (or a full disk) can at worst cut the last line, which readLedger reports.
    for (const e of entries) {
      const b = Buffer.from(canonicalJson(e) + '\n', 'utf8');
      writeAllToFd(fd, b, 0, b.length, file, 'append to the ledger', false);
    }
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

export function readLedger(goldenDir: string): LedgerEntry[] {
  const file = ledgerPath(goldenDir);
  try {
    fs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
  }
  const text = readInputText(file, 'ledger', MAX_LEDGER_BYTES);
  const out: LedgerEntry[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new InputError('ledger ends in the middle of a line (a bless crashed while appending?)', { file, line: lines.length }, 'one JSON object per line, each ending in LF');
  for (let i = 0; i < lines.length - 1; i++) {
    let v: unknown;
    try {
      v = JSON.parse(lines[i]);
    } catch (e) {
      throw new InputError(`ledger line is not JSON: ${(e as Error).message}`, { file, line: i + 1 }, 'one JSON object per line');
    }
    const o = v as Partial<LedgerEntry>;
    if (typeof o !== 'object' || o === null || typeof o.golden !== 'string' || typeof o.reason !== 'string' || typeof o.action !== 'string') {
      throw new InputError('ledger line lacks golden, action or reason', { file, line: i + 1 });
    }
    out.push(o as LedgerEntry);
  }
  return out;
}

/** golden path -> the body sha256 its latest ledger entry recorded (null after a delete). */
export function latestBodies(entries: readonly LedgerEntry[]): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const e of entries) m.set(e.golden, e.newBody);
  return m;
}

export const UNRECORDED = 'no ledger entry records this body (made or changed outside `gicreplay bless`?)';
