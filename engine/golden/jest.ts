// Jest matcher over the same golden files and rules as `gicreplay check`:
//   import { installGoldenMatcher } from 'gicreplay/dist/engine/golden/jest';
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

function hint(file: string): string {
  return `to accept the new output: GICREPLAY_BLESS_REASON="why it is right" npx jest ${path.basename(file)} (never on CI)`;
}

export function matchGolden(records: Iterable<ReplayRecord>, file: string, opts: MatchGoldenOptions, cfg: MatcherConfig): MatchResult {
  const fields = fieldFormatterFor(opts.gic);
  const subject = opts.subject ?? path.basename(file);
  const blessing = cfg.blessReason !== null && !cfg.ci;
  if (!fs.existsSync(file)) {
    if (!blessing) {
      const why = cfg.blessReason !== null && cfg.ci ? ' (GICREPLAY_BLESS_REASON is ignored on CI)' : '';
      return { pass: false, message: () => `no golden at ${file}${why}; ${hint(file)}` };
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
  if (edited) return { pass: false, message: () => `${file} was edited by hand (its body no longer matches body-sha256); restore it from git, or ${hint(file)}` };
  const stale = h.model !== MODEL_VERSION;
  if (!drift && !stale) return { pass: true, message: () => `expected the records not to match ${file}` };
  if (blessing) return bless(records, file, subject, fields, cfg.blessReason!, h);
  if (!drift) return { pass: false, message: () => `${file} was made by model version ${h.model}, this is ${MODEL_VERSION} (output unchanged); ${hint(file)}` };
  return { pass: false, message: () => [`records differ from ${file}:`, ...renderDrift(drift), hint(file)].join('\n') };
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
    ]);
    return { pass: true, message: () => `blessed ${file}` };
  } finally {
    w.discard();
  }
}

let envConfig: MatcherConfig | undefined;

export const goldenMatchers = {
  toMatchGolden(received: Iterable<ReplayRecord>, file: string, opts: MatchGoldenOptions = {}): MatchResult {
    envConfig ??= matcherConfigFromEnv(process.env);
    return matchGolden(received, file, opts, envConfig);
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
