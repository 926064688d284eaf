// Jest matcher over the same golden files and rules as `gicreplay check`:
//   import { installGoldenMatcher } from 'gicreplay/jest';
//   installGoldenMatcher();
//   expect(records).toMatchGolden(path.join(__dirname, 'boot.golden'), { gic: header.gic });
// It never writes unless the run is a bless: GICREPLAY_BLESS_REASON="why" set, and CI not set.
// Then it writes atomically and appends to LEDGER.jsonl beside the golden, like `gicreplay bless`.

import * as fs from 'fs';
import * as path from 'path';
import { ReplayRecord } from '../replay/records';
import { GicConfig } from '../trace/events';
import { GICREPLAY_VERSION, MODEL_VERSION } from '../version';
import { StreamCompare } from './compare';
import { GoldenHeader } from './format';
import { appendLedger } from './ledger';
import { blessStamp } from './stamp';
import { renderDrift } from './report';
import { fieldFormatterFor, renderRecord } from './render';
import { BodyWriter, CheckedBody, commitGolden, formatForBody, openGolden } from './store';
import { isCi } from './config';

export interface MatchGoldenOptions {
  /** GIC configuration, for register field names in the golden. */
  gic?: GicConfig;
  /** What the golden is of (recorded in its header); defaults to the file name. */
  subject?: string;
}

export interface MatcherConfig {
  /** Set (and not on CI) => this run blesses; the reason goes to the ledger. */
  blessReason: string | null;
  ci: boolean;
}

/** Resolved once from the environment, like the CLI's config. */
export function matcherConfigFromEnv(env: Readonly<Record<string, string | undefined>>): MatcherConfig {
  const r = env.GICREPLAY_BLESS_REASON;
  return { blessReason: r !== undefined && r.trim() !== '' ? r.trim() : null, ci: isCi(env) };
}

export interface MatchResult {
  pass: boolean;
  message: () => string;
}

/** Which test is asking (Jest's matcher context), so the bless hint re-runs exactly that test. */
export interface MatchWhere {
  /** Absolute path of the test file. */
  testPath?: string;
  /** Its full name, describe blocks included, as `-t` matches it. */
  testName?: string;
  /** Where the hint is pasted (default: the current folder, where Jest was started). */
  cwd?: string;
}

const shellQuote = (s: string) => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const regexQuote = (s: string) => s.replace(/[\\^$*+?()[\]{}|]/g, '\\$&');

/** The command that re-runs the asking test as a bless: `npx jest FILE -t '^NAME$'` with the reason set. */
export function blessHint(w: MatchWhere): string {
  const words = ['GICREPLAY_BLESS_REASON="why it is right"', 'npx', 'jest'];
  if (w.testPath) {
    const rel = path.relative(w.cwd ?? process.cwd(), w.testPath).split(path.sep).join('/');
    // A path pattern is a regular expression; "." matching any character still matches the file.
    words.push(shellQuote(regexQuote(rel.startsWith('..') ? w.testPath : rel)));
  }
  if (w.testName) words.push('-t', shellQuote(`^${regexQuote(w.testName)}$`));
  return words.join(' ');
}

function hint(w: MatchWhere): string {
  return `to accept the new output (never on CI): ${blessHint(w)}`;
}

export function matchGolden(records: Iterable<ReplayRecord>, file: string, opts: MatchGoldenOptions, cfg: MatcherConfig, where: MatchWhere = {}): MatchResult {
  const fields = fieldFormatterFor(opts.gic);
  const subject = opts.subject ?? path.basename(file);
  const blessing = cfg.blessReason !== null && !cfg.ci;
  if (!fs.existsSync(file)) {
    if (!blessing) {
      const why = cfg.blessReason !== null && cfg.ci ? ' (GICREPLAY_BLESS_REASON is ignored on CI)' : '';
      return { pass: false, message: () => `no golden at ${file}${why}\n${hint(where)}` };
    }
    return bless(records, file, subject, fields, cfg.blessReason!, null);
  }
  const g = openGolden(file);
  if (!g) return { pass: false, message: () => `${file} is not a gicreplay golden; it is never overwritten: move it away` };
  const body = new CheckedBody(g, file);
  const cmp = new StreamCompare(body, { pairId: subject, fields, firstBodyLine: g.firstBodyLine, goldenName: file, newName: 'received' });
  for (const r of records) cmp.push(renderRecord(r, fields), r.index);
  const drift = cmp.finish();
  body.drain();
  g.reader.close();
  const h = g.header;
  const edited = body.hasher.digest() !== h.bodySha256 || body.hasher.lines !== h.bodyLines || !body.terminated;
  if (edited) return { pass: false, message: () => `${file} was edited by hand (its body no longer matches body-sha256); restore it from git, or re-bless it\n${hint(where)}` };
  const stale = h.model !== MODEL_VERSION;
  if (!drift && !stale) return { pass: true, message: () => `expected the records not to match ${file}` };
  if (blessing) return bless(records, file, subject, fields, cfg.blessReason!, h);
  if (!drift) return { pass: false, message: () => `${file} was made by model version ${h.model}, this is ${MODEL_VERSION} (output unchanged)\n${hint(where)}` };
  return { pass: false, message: () => [`records differ from ${file}:`, ...renderDrift(drift), hint(where)].join('\n') };
}

function bless(records: Iterable<ReplayRecord>, file: string, subject: string, fields: ReturnType<typeof fieldFormatterFor>, reason: string, old: GoldenHeader | null): MatchResult {
  const w = new BodyWriter(file);
  try {
    for (const r of records) w.line(renderRecord(r, fields));
    const { sha256, lines } = w.close();
    const header: GoldenHeader = { format: formatForBody(w), subject, gicreplay: GICREPLAY_VERSION, model: MODEL_VERSION, bodyLines: lines, bodySha256: sha256 };
    commitGolden(file, header, w);
    appendLedger(path.dirname(file), [
      {
        golden: path.basename(file),
        action: old ? 'update' : 'create',
        trace: null,
        policy: null,
        policyDigest: null,
        traceDigest: null,
        oldBody: old ? old.bodySha256 : null,
        newBody: sha256,
        sameAs: null,
        gicreplay: GICREPLAY_VERSION,
        model: MODEL_VERSION,
        reason,
        wide: false,
      },
    ], blessStamp({ root: path.dirname(file), env: process.env, command: 'jest' }));
    return { pass: true, message: () => `blessed ${file}` };
  } finally {
    w.discard();
  }
}

let envConfig: MatcherConfig | undefined;

/** What the matcher reads of Jest's matcher context (`this`). */
interface AskingTest {
  testPath?: string;
  currentTestName?: string;
}

export const goldenMatchers = {
  toMatchGolden(this: AskingTest | undefined, received: Iterable<ReplayRecord>, file: string, opts: MatchGoldenOptions = {}): MatchResult {
    envConfig ??= matcherConfigFromEnv(process.env);
    return matchGolden(received, file, opts, envConfig, { testPath: this?.testPath, testName: this?.currentTestName });
  },
};

/** Register `toMatchGolden` with Jest's expect (call once, e.g. in a setupFilesAfterEnv file). */
export function installGoldenMatcher(): void {
  expect.extend(goldenMatchers);
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toMatchGolden(file: string, opts?: MatchGoldenOptions): R;
    }
  }
}
