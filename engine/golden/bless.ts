// `bless`: regenerate the named goldens, atomically, with a kept reason. Three phases so a refusal
// never leaves half a bless behind: replay every named pair into temp bodies; check the blast
// radius (goldens outside what was named that would change need --wide); then write and ledger.

import * as fs from 'fs';
import { checkpoint, InputError, UsageError } from '../errors';
import { Policy } from '../policy/policy';
import { GICREPLAY_VERSION, MODEL_VERSION } from '../version';
import { decideWrite, GoldenConfig, GoldenState } from './config';
import { GOLDEN_FORMAT, GOLDEN_MAGIC_RE, GoldenHeader, isConflictMarker } from './format';
import { abs, goldenPathFor, Layout } from './layout';
import { appendLedger, latestBodies, LedgerAction, LedgerEntry, readLedger } from './ledger';
import { LineHasher } from './lines';
import { findLeftovers, removeLeftovers } from './leftovers';
import { acquireBlessLock } from './lock';
import { BlessStamp, UNSTAMPED } from './stamp';
import { findObsolete, planSuite, PlanOptions } from './manifest';
import { ReplayInjection, replayLines } from './pair';
import { bodyProblem, BodyWriter, commitGolden, firstLineOf, formatForBody, openGolden, removeOwnedGolden, WriteHooks } from './store';
import { unreadableReason } from '../util/input-file';
import { printable } from '../util/printable';

export interface BlessOptions extends PlanOptions {
  reason: string;
  config: GoldenConfig;
  wide?: boolean;
  prune?: boolean;
  replay?: ReplayInjection;
  hooks?: WriteHooks;
  /** Replay every pair a second time and refuse unless both outputs are byte-identical (default on). */
  verifyDeterminism?: boolean;
  onProgress?: (done: number, total: number, id: string) => void;
  /** Stop between replays when aborted (Ctrl-C): nothing is written, temp files are removed. */
  signal?: AbortSignal;
  /** Who, when, at which commit (stamp.ts), resolved by the caller; the ledger line records it. */
  stamp?: BlessStamp;
  /** Only these pair IDs of the selection (accept: exactly the pending goldens a person accepted). */
  pairs?: readonly string[];
  /**
   * Golden path -> the body sha256 a person reviewed (accept): the fresh replay must produce
   * exactly it, or nothing is written — what was reviewed is what is blessed.
   */
  expectBodies?: ReadonlyMap<string, string>;
}

export interface BlessOutcome {
  golden: string;
  action: LedgerAction | 'unchanged';
  /** Not named; touched only because of --wide. */
  wide: boolean;
  sameAs?: string;
}

export interface BlessResult {
  outcomes: BlessOutcome[];
  ledger: LedgerEntry[];
  /** Human-readable lines (what was written, what was refused or left alone). */
  messages: string[];
}

interface Existing {
  header: GoldenHeader | null;
  /** A file is there that is not ours (never overwritten). */
  foreign: boolean;
}

interface Fresh {
  policy: Policy;
  golden: string;
  body: BodyWriter;
  sha: string;
  lines: number;
  traceDigest: string;
  wide: boolean;
  sameAs?: string;
  /** Not named, output unchanged: rewritten only because the body it shared changed. */
  layoutOnly?: boolean;
}

function readExisting(l: Layout, golden: string): Existing {
  const file = abs(l, golden);
  try {
    fs.lstatSync(file);
  } catch {
    return { header: null, foreign: false };
  }
  // A folder, FIFO, device or dangling link where a golden belongs: never replaced, never read.
  const why = unreadableReason(file, 'golden');
  if (why) throw new InputError(`${why.detail}; bless never replaces it: move it away first`, { file: golden }, why.expected);
  try {
    const g = openGolden(file, golden);
    if (!g) return { header: null, foreign: true };
    g.reader.close();
    return { header: g.header, foreign: false };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    // A damaged golden (conflict markers, truncated, bad header) is ours to regenerate.
    const first = firstLineOf(file);
    return { header: null, foreign: first === null || (!GOLDEN_MAGIC_RE.test(first) && !isConflictMarker(first)) };
  }
}

export async function blessGoldens(o: BlessOptions): Promise<BlessResult> {
  if (o.config.ci) throw new UsageError('refusing to bless on CI (the CI environment variable is set): bless on your machine, review the diff and commit it');
  if (o.config.mode !== 'bless') throw new UsageError('blessGoldens needs a config resolved in bless mode');
  const reason = o.reason.trim();
  if (!reason) throw new UsageError('bless needs --reason "why the new output is right"; it is kept in golden/LEDGER.jsonl');
  if (o.shard) throw new UsageError('bless does not take --shard');
  const plan = planSuite(o);
  if (o.pairs) {
    const want = new Set(o.pairs);
    plan.pairs = plan.pairs.filter((p) => want.has(p.id));
  }
  const l = plan.layout;
  if (!plan.pairs.length && !o.prune) throw new UsageError('nothing to bless: no traces under traces/ match');
  // Entries under traces/ that cannot be read (or named in a golden) in what this bless covers:
  // refused, as check refuses them; --prune never runs while any exists.
  const inScope = (u: string) => !plan.filter.paths.length || plan.filter.paths.some((s) => s === '' || u === s || u.startsWith(`${s}/`) || s.startsWith(`${u}/`));
  const unreadable = (plan.manifest.unreadable ?? []).filter((u) => o.prune || inScope(u.path));
  if (unreadable.length) {
    const u = unreadable[0];
    const more = unreadable.length > 1 ? ` (and ${unreadable.length - 1} more)` : '';
    const why = o.prune ? 'bless --prune deletes only goldens the manifest proves obsolete, and ' : '';
    throw new InputError(`${why}traces/${printable(u.path)} cannot be blessed: ${u.reason}${more}; fix or remove it first`, { file: `traces/${printable(u.path)}` });
  }
  const release = acquireBlessLock(l.goldenDir);
  const fresh: Fresh[] = [];
  try {
    const named = new Set(plan.pairs.map((p) => p.id));
    const byTrace = new Map<string, Policy[]>();
    for (const p of plan.pairs) byTrace.set(p.trace, [...(byTrace.get(p.trace) ?? []), p.policy]);
    const traces = [...byTrace.keys()];
    const messages: string[] = [];
    const refusals: string[] = [];
    let done = 0;
    const total = plan.pairs.length;
    const plans: Array<{ trace: string; fresh: Fresh[]; existing: Map<string, Existing> }> = [];

    // Phase 1: replay the named pairs (and, under --wide, the goldens they would otherwise break).
    for (const trace of traces) {
      const existing = new Map<string, Existing>();
      for (const p of plan.universe) existing.set(p.id, readExisting(l, goldenPathFor(trace, p.id)));
      const mine: Fresh[] = [];
      const replayOne = (policy: Policy, wide: boolean) => {
        const golden = goldenPathFor(trace, policy.id);
        if (existing.get(policy.id)!.foreign) throw new UsageError(`${golden} exists but is not a gicreplay golden; move it away first (bless never overwrites files it did not write)`);
        const body = new BodyWriter(abs(l, golden));
        const f: Fresh = { policy, golden, body, sha: '', lines: 0, traceDigest: '', wide };
        fresh.push(f);
        f.traceDigest = replayLines(l, trace, policy, () => (line) => body.line(line), o.replay);
        const r = body.close();
        f.sha = r.sha256;
        f.lines = r.lines;
        if (o.verifyDeterminism !== false) {
          const again = new LineHasher();
          replayLines(l, trace, policy, () => (line) => again.add(line), o.replay);
          const sha2 = again.digest();
          if (sha2 !== f.sha) {
            throw new Error(`replaying traces/${trace} under ${policy.id} twice gave different output (body ${f.sha.slice(0, 12)} then ${sha2.slice(0, 12)}): the replay is not deterministic, which is a gicreplay bug; nothing was blessed`);
          }
        }
        const expected = o.expectBodies?.get(golden);
        if (expected !== undefined && expected !== f.sha) {
          throw new UsageError(`the reviewed output of ${golden} (body ${expected.slice(0, 12)}) is not what traces/${trace} gives under ${policy.id} now (body ${f.sha.slice(0, 12)}): the tree changed since it was written; run \`gicreplay check --pending\` again and review the new output; nothing was accepted`);
        }
        mine.push(f);
        o.onProgress?.(++done, total, `${trace}::${policy.id}`);
      };
      for (const p of byTrace.get(trace)!) {
        await checkpoint(o.signal, 'nothing was blessed');
        replayOne(p, false);
      }
      // Fixpoint: an unnamed golden sharing the body of one that changes would change too.
      for (;;) {
        assignSharing(plan.universe, mine, existing);
        const touched = new Set(mine.map((f) => f.policy.id));
        const broken: Policy[] = [];
        for (const q of plan.universe) {
          if (touched.has(q.id)) continue;
          const h = existing.get(q.id)!.header;
          if (!h?.sameAs) continue;
          const target = mine.find((f) => f.policy.id === h.sameAs);
          if (target && (target.sameAs !== undefined || target.sha !== h.bodySha256)) broken.push(q);
        }
        if (!broken.length) break;
        for (const q of broken) {
          await checkpoint(o.signal, 'nothing was blessed');
          replayOne(q, true);
        }
        if (!o.wide) {
          // A golden that was not named may only be rewritten when its output stays what it was
          // (it just stops sharing a body that moved on): that changes no behaviour anyone blessed.
          for (const q of broken) {
            const f = mine.find((x) => x.policy.id === q.id)!;
            const h = existing.get(q.id)!.header!;
            if (f.sha === h.bodySha256) {
              f.layoutOnly = true;
              continue;
            }
            refusals.push(`${goldenPathFor(trace, q.id)} (policy ${q.id}, not named) shares the body of ${goldenPathFor(trace, h.sameAs!)}, which this bless changes, and its own output changes too`);
          }
          if (refusals.length) break;
        }
      }
      plans.push({ trace, fresh: mine, existing });
    }
    if (refusals.length) {
      if (o.expectBodies) throw new UsageError(`accepting would change goldens whose new output was not accepted:\n  ${refusals.join('\n  ')}\naccept their pending outputs too (review shows them with the same trace), or reject these`);
      throw new UsageError(`bless would change goldens you did not name:\n  ${refusals.join('\n  ')}\nname them too (--policy …), or pass --wide to let this bless regenerate them`);
    }

    // Phase 2: write (bodies before the goldens that share them) and ledger each write.
    const latest = latestBodies(readLedger(l.goldenDir));
    const outcomes: BlessOutcome[] = [];
    const ledger: LedgerEntry[] = [];
    // One ledger line for the whole bless, written last — and also when a write fails half-way,
    // so every golden that did reach the disk is recorded (check would call it unrecorded otherwise).
    try {
      for (const tp of plans) {
        const order = [...tp.fresh].sort((a, b) => Number(a.sameAs !== undefined) - Number(b.sameAs !== undefined));
        for (const f of order) {
          const old = tp.existing.get(f.policy.id)!.header;
          const header: GoldenHeader = {
            format: f.sameAs ? GOLDEN_FORMAT : formatForBody(f.body, o.hooks?.compactAbove),
            trace: tp.trace,
            traceDigest: f.traceDigest,
            policy: f.policy.id,
            policyDigest: f.policy.digest,
            gicreplay: GICREPLAY_VERSION,
            model: MODEL_VERSION,
            bodyLines: f.lines,
            bodySha256: f.sha,
          };
          if (f.sameAs) header.sameAs = f.sameAs;
          const recorded = latest.get(f.golden) === old?.bodySha256;
          // The header alone may lie (a hand edit leaves it as it was): a golden that claims the new
          // body is read and verified before it counts as unchanged, so bless repairs what check flags.
          const damaged = old && old.bodySha256 === f.sha && old.sameAs === f.sameAs ? damageOf(abs(l, f.golden), f.golden) : null;
          const state: GoldenState = !old ? 'missing' : damaged || old.bodySha256 !== f.sha || old.sameAs !== f.sameAs ? 'drift' : sameStamp(old, header) && recorded ? 'match' : 'stale';
          const isNamed = named.has(`${tp.trace}::${f.policy.id}`) || f.wide;
          if (decideWrite(o.config.mode, state, isNamed, false) !== 'write') {
            outcomes.push({ golden: f.golden, action: 'unchanged', wide: f.wide, sameAs: f.sameAs });
            continue;
          }
          commitGolden(abs(l, f.golden), header, f.sameAs ? null : f.body, o.hooks);
          const action: LedgerAction = state === 'missing' ? 'create' : state === 'drift' ? 'update' : 'restamp';
          const entry: LedgerEntry = {
            golden: f.golden,
            action,
            trace: tp.trace,
            policy: f.policy.id,
            policyDigest: f.policy.digest,
            traceDigest: f.traceDigest,
            oldBody: old ? old.bodySha256 : null,
            newBody: f.sha,
            sameAs: f.sameAs ?? null,
            gicreplay: GICREPLAY_VERSION,
            model: MODEL_VERSION,
            reason,
            wide: f.wide,
          };
          ledger.push(entry);
          outcomes.push({ golden: f.golden, action, wide: f.wide, sameAs: f.sameAs });
          const how = f.layoutOnly ? ' (output unchanged: it no longer shares the body that changed)' : f.wide ? ' [--wide]' : '';
        messages.push(`${action} ${f.golden}${f.sameAs ? ` (same as ${f.sameAs})` : ''}${how}${damaged ? ` (repaired: ${damaged})` : ''}`);
        }
      }

      // Phase 3: prune obsolete goldens (ours only), never ones another golden still shares.
      if (o.prune) {
        for (const ob of findObsolete(plan.manifest, plan.filter)) {
          const pathParts = /^(golden\/.+)\/([^/]+)\.golden$/.exec(ob.golden);
          if (pathParts) {
            const dependants = plan.manifest.ownedGoldens.filter((g) => g !== ob.golden && g.startsWith(`${pathParts[1]}/`) && !g.slice(pathParts[1].length + 1).includes('/') && sharesBodyOf(l, g) === pathParts[2]);
            if (dependants.length) {
              messages.push(`kept ${ob.golden}: ${dependants.join(', ')} still share its body (bless those first)`);
              continue;
            }
          }
          const h = readExisting(l, ob.golden).header;
          if (!removeOwnedGolden(abs(l, ob.golden), l.goldenDir)) continue;
          const entry: LedgerEntry = {
            golden: ob.golden,
            action: 'delete',
            trace: h?.trace ?? null,
            policy: h?.policy ?? null,
            policyDigest: h?.policyDigest ?? null,
            traceDigest: h?.traceDigest ?? null,
            oldBody: h?.bodySha256 ?? null,
            newBody: null,
            sameAs: null,
            gicreplay: GICREPLAY_VERSION,
            model: MODEL_VERSION,
            reason,
            wide: false,
          };
          ledger.push(entry);
          outcomes.push({ golden: ob.golden, action: 'delete', wide: false });
          messages.push(`delete ${ob.golden} (${ob.reason})`);
        }
      }
    } finally {
      appendLedger(l.goldenDir, ledger, o.stamp ?? UNSTAMPED);
    }
    if (o.prune) {
      const lo = findLeftovers(l, true);
      removeLeftovers(l, lo);
      for (const x of lo) messages.push(`removed ${x.file} (${x.reason})`);
    }
    const unchanged = outcomes.filter((x) => x.action === 'unchanged').length;
    messages.push(`${ledger.length} golden(s) written or removed, ${unchanged} already up to date${ledger.length ? '; reason recorded in golden/LEDGER.jsonl' : ''}`);
    return { outcomes, ledger, messages };
  } finally {
    for (const f of fresh) f.body.discard();
    release();
  }
}

/** What is wrong with a golden's body (bodyProblem), a body it cannot even read included. */
function damageOf(file: string, display: string): string | null {
  try {
    return bodyProblem(file, display);
  } catch (e) {
    if (e instanceof InputError) return e.detail;
    throw e;
  }
}

function sharesBodyOf(l: Layout, golden: string): string | undefined {
  return readExisting(l, golden).header?.sameAs;
}

/** Same output and same recorded inputs (the gicreplay version alone never forces a rewrite). */
function sameStamp(a: GoldenHeader, b: GoldenHeader): boolean {
  return a.traceDigest === b.traceDigest && a.policyDigest === b.policyDigest && a.model === b.model && a.bodyLines === b.bodyLines && a.format === b.format;
}

/**
 * Decide which fresh goldens store their body and which share another's: the first policy (in
 * suite order) with a given body keeps it, whether freshly blessed or an untouched golden.
 */
function assignSharing(universe: readonly Policy[], fresh: Fresh[], existing: Map<string, Existing>): void {
  const freshBy = new Map(fresh.map((f) => [f.policy.id, f]));
  const owner = new Map<string, string>();
  for (const p of universe) {
    const f = freshBy.get(p.id);
    let sha: string | undefined;
    if (f) sha = f.sha;
    else {
      const h = existing.get(p.id)?.header;
      if (h && !h.sameAs) sha = h.bodySha256;
    }
    if (sha === undefined) continue;
    const o = owner.get(sha);
    if (f) f.sameAs = o;
    if (o === undefined) owner.set(sha, p.id);
  }
}
