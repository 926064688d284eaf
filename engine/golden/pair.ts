// Check one (trace, policy) pair against its golden, streaming: replay records are rendered line
// by line and compared with the golden read line by line; both bodies are hashed on the way.

import * as fs from 'fs';
import * as path from 'path';
import { InputError, UsageError } from '../errors';
import { ConsultLog } from '../policy/consults';
import { Policy, policyForTrace } from '../policy/policy';
import { Replayer, ReplayOptions, replayStream, streamTrace } from '../replay/replay';
import { sameRecord } from '../replay/record-equal';
import { ReplayRecord, ReplaySink } from '../replay/records';
import { READ_AHEAD_MIN_BYTES } from '../trace/read-ahead';
import { openTrace, TraceReader } from '../trace/reader';
import { TraceHeader } from '../trace/events';
import { GICREPLAY_VERSION, MODEL_VERSION } from '../version';
import { CompareOptions, LineSource, StreamCompare } from './compare';
import { GoldenHeader } from './format';
import { abs, goldenPathFor, Layout, traceInsideRepo } from './layout';
import { LineHasher } from './lines';
import { DriftReport, PairResult } from './results';
import { unobservableFor } from './observability';
import { FieldFormatter, fieldFormatterFor, renderRecord } from './render';
import { BodyHasher } from './render-bytes';
import { CheckThread, FileTail } from './check-thread';
import { BodyFault, bodyFault, BodyWriter, CheckedBody, commitGolden, formatForBody, openGolden, OpenGolden } from './store';

export type ReplayInjection = Pick<ReplayOptions, 'modelFactory' | 'timerFactory'>;

export interface PairInput {
  layout: Layout;
  trace: string;
  policy: Policy;
  golden: string;
  replay?: ReplayInjection;
  /**
   * Write the new output of a pair that does not match to <pendingDir>/<golden path>.new (a
   * complete golden, for review or a CI artifact). Never inside golden/; never the golden itself.
   */
  pendingDir?: string;
  /**
   * Another source of the new body instead of the model's replay (the KVM backend): calls `setup`
   * with the trace header, feeds every rendered line, returns the trace's digest.
   */
  produce?: (setup: (header: TraceHeader, fields: FieldFormatter) => (line: string, rec: ReplayRecord) => void) => string;
  /**
   * Compare only what this keeps, on both sides: the line as it should be compared, or null to
   * leave it out. The golden is still read (and its hash checked) in full.
   */
  project?: (line: string) => string | null;
  /** What produced the new body, for the diff header (default: "replay of traces/<trace> under <policy>"). */
  newName?: string;
  /** The policy is known only through this --policy-file: a bless hint must name the file. */
  policyFile?: string;
  /**
   * Leave reading, rendering and hashing to the check's thread (check-thread.ts), when its
   * compiled script is there. Default: for a trace file of READ_AHEAD_MIN_BYTES or more (the
   * thread is the trace's read-ahead thread, with more to do).
   * The first pair of a trace decides.
   */
  checkThread?: boolean;
}

/** A damaged golden body (bodyFault) as the user reads it: what is wrong and the bless that regenerates it. */
export function bodyFaultError(f: BodyFault, h: GoldenHeader, bodyFile: string, firstBodyLine: number, bless: string): InputError {
  if (f.kind === 'truncated') {
    return new InputError(`golden is truncated: ${f.lines} of ${h.bodyLines} body lines${f.unterminated ? ', the last without its line end' : ''}; restore it from git or regenerate with \`${bless}\``, { file: bodyFile, line: firstBodyLine + f.lines });
  }
  return new InputError(`golden was edited by hand: its body no longer matches the body-sha256 in its header. Goldens are generated, never edited: restore it from git, or regenerate it with \`${bless}\``, { file: bodyFile }, `body-sha256 ${h.bodySha256}`);
}

/** The bless of one pair, as a command that works when pasted at the project root. */
export function blessHint(trace: string, policy: string, policyFile?: string): string {
  const p = policyFile ? `--policy-file ${/^[A-Za-z0-9_./-]+$/.test(policyFile) ? policyFile : JSON.stringify(policyFile)}` : `--policy ${policy}`;
  return `gicreplay bless traces/${trace} ${p} --reason "…"`;
}

/**
 * Replay `trace` under `policy`, handing each rendered body line to `onLine`.
 * Returns the trace's trailer digest.
 */
export function replayLines(l: Layout, trace: string, policy: Policy, setup: (header: TraceHeader, fields: FieldFormatter) => (line: string, rec: ReplayRecord) => void, inj: ReplayInjection = {}): string {
  return replayRecords(l, trace, policy, (header, fields) => {
    const onLine = setup(header, fields);
    return (rec) => onLine(renderRecord(rec, fields), rec);
  }, inj);
}

/** Replay `trace` under `policy`, handing each record (unrendered) to the sink `setup` builds. Returns the trace's trailer digest. */
export function replayRecords(l: Layout, trace: string, policy: Policy, setup: (header: TraceHeader, fields: FieldFormatter) => (rec: ReplayRecord) => void, inj: ReplayInjection = {}): string {
  const reader = openTrace(abs(l, `traces/${trace}`));
  try {
    const fields = fieldFormatterFor(reader.header.gic);
    replayStream(reader, { policy, ...inj }, setup(reader.header, fields));
    // Without allowTruncated the reader has already refused a trace without a trailer.
    return reader.trailer!.digest;
  } finally {
    reader.close();
  }
}

interface Expected {
  header: GoldenHeader;
  /** Header of the file the body comes from (the golden itself, or the one it shares). */
  bodyHeader: GoldenHeader;
  body: CheckedBody;
  firstBodyLine: number;
  bodyFile: string;
  /** Set when the shared body is no longer the one this golden was blessed against. */
  sharedChanged?: string;
  close(): void;
}

function openExpected(inp: PairInput): Expected | null {
  const { layout, trace, policy, golden } = inp;
  const file = abs(layout, golden);
  if (!lexists(file)) return null;
  const g = openGolden(file, golden);
  if (!g) throw new InputError('not a gicreplay golden (no "# gicreplay golden N" header); gicreplay never overwrites or deletes it: move it away', { file: golden, line: 1 });
  const h = g.header;
  try {
    if (h.trace === undefined) throw new InputError('golden has no trace (a Jest-matcher golden?) but sits where the suite expects one', { file: golden });
    if (!traceInsideRepo(layout, h.trace)) throw new InputError(`golden names trace ${JSON.stringify(h.trace)}, which is outside the repository's traces/ folder`, { file: golden }, `trace: ${trace}`);
    if (h.trace !== trace) throw new InputError(`golden names trace ${h.trace} but sits at the place of ${trace} (moved by hand?)`, { file: golden }, `trace: ${trace}`);
    if (h.policy !== policy.id) throw new InputError(`golden names policy ${h.policy} but sits at the place of ${policy.id}`, { file: golden }, `policy: ${policy.id}`);
  } catch (e) {
    g.reader.close();
    throw e;
  }
  if (h.sameAs === undefined) {
    return { header: h, bodyHeader: h, body: new CheckedBody(g, golden), firstBodyLine: g.firstBodyLine, bodyFile: golden, close: () => g.reader.close() };
  }
  // A golden sharing another policy's body: it must have none of its own.
  const own = g.reader.next();
  g.reader.close();
  if (own !== null) throw new InputError(`golden says same-as ${h.sameAs} but has a body of its own`, { file: golden, line: g.reader.lineNo }, 'nothing after "---"');
  // Follow the sharing to the body. Each file is written atomically, but a bless interrupted
  // between two files (or a merge that took one side) can leave the share pointing at a body
  // that moved on: that golden is stale, not damaged, and the next bless repairs it.
  let at = h.sameAs;
  const seen = new Set<string>([policy.id]);
  for (;;) {
    const targetRel = goldenPathFor(trace, at);
    const tfile = abs(layout, targetRel);
    if (seen.has(at)) throw new InputError(`golden shares bodies in a circle (${[...seen, at].join(' -> ')})`, { file: golden });
    seen.add(at);
    if (!lexists(tfile)) throw new InputError(`golden shares the body of ${targetRel}, which does not exist; regenerate with \`${blessHint(trace, policy.id, inp.policyFile)}\``, { file: golden }, `an existing ${targetRel}`);
    const t: OpenGolden | null = openGolden(tfile, targetRel);
    if (!t) throw new InputError(`golden shares the body of ${targetRel}, which is not a gicreplay golden`, { file: golden });
    if (t.header.trace !== trace) {
      t.reader.close();
      throw new InputError(`golden shares the body of ${targetRel}, which belongs to trace ${t.header.trace}`, { file: golden });
    }
    if (t.header.sameAs !== undefined) {
      t.reader.close();
      at = t.header.sameAs;
      continue;
    }
    const changed = t.header.bodySha256 !== h.bodySha256 || at !== h.sameAs ? `the body it shares (${targetRel}) changed since it was blessed (an interrupted bless, or a merge that took one side)` : undefined;
    return { header: h, bodyHeader: t.header, body: new CheckedBody(t, targetRel), firstBodyLine: t.firstBodyLine, bodyFile: targetRel, sharedChanged: changed, close: () => t.reader.close() };
  }
}

/** Is there anything at `file` (a dangling link counts: it is a golden that cannot be read)? */
function lexists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Check one pair. Never throws for bad input: that becomes status "error".
 *
 * Most pairs match, and a match needs no line-by-line comparison: the fast path replays into a
 * hash only and reads the golden's body as raw bytes. When both digests are the header's, the
 * bodies are byte-identical and whole, and the result is the one the full comparison would
 * give. Anything else (drift, a damaged golden, bad input, a custom producer or projection)
 * goes through the full streaming comparison, which builds the drift report from the lines.
 */
export function checkPair(inp: PairInput, limits: Partial<CompareOptions> = {}): PairResult {
  return checkTracePairs([inp], limits)[0];
}

/** The result of a pair whose new body is its golden's, byte for byte; null when the full path must write --pending output. */
function matchedResult(inp: PairInput, exp: Expected, digest: string): PairResult | null {
  const { trace, policy, golden } = inp;
  const bh = exp.bodyHeader;
  const res: PairResult = { id: `${trace}::${policy.id}`, trace, policy: policy.id, golden, status: 'error' };
  if (exp.header.sameAs) res.sameAs = exp.header.sameAs;
  res.goldenSha256 = exp.header.bodySha256;
  res.bodySha256 = bh.bodySha256;
  res.bodyLines = bh.bodyLines;
  res.traceDigest = digest;
  conclude(res, exp, digest, null, inp);
  // A stale pair's new output goes to --pending: the full path writes it.
  if (inp.pendingDir && res.status !== 'match') return null;
  return res;
}

/**
 * Check every pair of one trace, reading the trace as few times as it can. The common case (every
 * pair matches its golden) is the quick path: each event, decoded once, goes to one Replayer per
 * group of policies in lockstep. A replay depends on its policy only through the answers the
 * model asked of it (engine/policy/consults.ts), so one replay stands in for every policy of its
 * group that gives the same answers; a policy that does not is replayed on its own in a second
 * read of the trace. Pairs whose goldens share one body (same-as) expect the same records: the
 * first replay for that body renders and hashes them, the others only compare their records with
 * its records, event by event (a record is a plain value, so equal records render to equal
 * lines). A pair that leaves the quick path for any reason (drift, a damaged golden, a model or
 * decoding error, a missing golden, --pending output) is checked again alone by the full
 * streaming comparison, which finds the same thing and reports it in its own words. checkPair is
 * this with one pair, so results are the ones checkPair gives, pair by pair, in input order.
 */
export function checkTracePairs(inps: readonly PairInput[], limits: Partial<CompareOptions> = {}): PairResult[] {
  const quick = inps.length > 0 && inps.every((p) => !p.project && !p.produce && p.trace === inps[0].trace && p.layout === inps[0].layout) ? quickLanes(inps) : [];
  return inps.map((inp, i) => quick[i] ?? fullCheck(inp, limits));
}

/** One replay in a lockstep quick check: of the policy of `lane`, standing also for `members` if their policies agree. */
interface Lane {
  /** Index into the pairs (and their Expected) of the pair whose policy this lane replays. */
  lane: number;
  inp: PairInput;
  exp: Expected;
  /** Pairs of the same share group this replay may stand for; their policies are asked its questions at the end. */
  members: number[];
  /** Set when it has members: what the model asked of the policy. */
  consults?: ConsultLog;
  /** Set once the lane cannot conclude a match on the quick path. */
  out: boolean;
  replayer?: Replayer;
  /** The lane that renders this lane's body (itself for a leader). */
  leader: Lane;
  /** Leader: its hasher (here or on the check's thread), and the records of the event in progress when it has followers. */
  hasher?: BodyDigest;
  /** Leader: the hasher's digest, once taken. */
  sha256?: string;
  records?: ReplayRecord[];
  followers: number;
  /** Follower: how many of the leader's records of this event it has matched. */
  at: number;
}

function quickLanes(inps: readonly PairInput[]): (PairResult | undefined)[] {
  const results: (PairResult | undefined)[] = new Array(inps.length);
  const exps: (Expected | null)[] = [];
  try {
    for (const inp of inps) {
      try {
        exps.push(openExpected(inp));
      } catch {
        exps.push(null);
      }
    }
    let todo = exps.flatMap((e, i) => (e ? [i] : []));
    // The first read shares replays; the second replays each policy the first could not vouch for, with only the policies that behave as it does.
    for (const share of [true, false]) {
      if (todo.length === 0) break;
      todo = quickPass(inps, exps, todo, share, results);
    }
    return results;
  } catch {
    // Whatever went wrong, each pair's full check meets it again and reports it in its own words.
    return results.fill(undefined);
  } finally {
    for (const e of exps) e?.close();
  }
}

/**
 * Policies likely to agree on a trace: the same revision, the same answer to the guest's group
 * writes at it, the same host (the model asks list-register and EOI questions of most traces).
 * The kernel is left to the log: the model asks its rules only where they decide something (an
 * ap_list overflowing the list registers, an EOI of an interrupt outside them, a DIR of another
 * vCPU's SPI, an attribute before init), which most traces never reach. Only a guess (the log
 * decides), so a wrong guess costs a second read.
 */
function shareKey(p: Policy): string {
  const rev = p.defaultRevision;
  return JSON.stringify([rev, p.guestGroupWriteHonoured(rev), p.host]);
}

/** One read of the trace for the pairs `todo`; fills `results` with the matches and returns the pairs to try again. */
function quickPass(inps: readonly PairInput[], exps: readonly (Expected | null)[], todo: readonly number[], share: boolean, results: (PairResult | undefined)[]): number[] {
  const lanes: Lane[] = [];
  const byShare = new Map<string, Lane>();
  const byBody = new Map<string, Lane>();
  for (const i of todo) {
    const inp = inps[i];
    const exp = exps[i]!;
    // Injected models are the tests' own: each replays as it was given. The second read still
    // lets one replay stand for policies that behave alike (linux-6.1 and linux-6.12), which the
    // first read's guess put with a policy that then asked otherwise; the log decides again.
    const key = inp.replay ? null : share ? shareKey(inp.policy) : inp.policy.digest;
    const group = key === null ? undefined : byShare.get(key);
    if (group) {
      group.members.push(i);
      continue;
    }
    const first = byBody.get(exp.bodyFile);
    const shares = first !== undefined && first.exp.bodyHeader.bodySha256 === exp.bodyHeader.bodySha256;
    const lane: Lane = { lane: i, inp, exp, members: [], out: false, followers: 0, at: 0, leader: shares ? first : (null as unknown as Lane) };
    if (shares) first.followers++;
    else {
      lane.leader = lane;
      if (!first) byBody.set(exp.bodyFile, lane);
    }
    if (key !== null) byShare.set(key, lane);
    lanes.push(lane);
  }
  for (const l of lanes) if (l.members.length) l.consults = new ConsultLog();
  const tailOf = new Map<string, number>();
  const file = abs(inps[0].layout, `traces/${inps[0].trace}`);
  const helper = (inps[0].checkThread ?? sizeOf(file) >= READ_AHEAD_MIN_BYTES) && CheckThread.available() ? startHelper(lanes, exps, tailOf) : null;
  let digest: string;
  let reader: TraceReader | null = null;
  try {
    reader = openTrace(file, helper?.readOptions);
    helper?.attach(reader);
    const fields = fieldFormatterFor(reader.header.gic);
    let stream = 0;
    for (const l of lanes) {
      if (l.leader === l) {
        l.hasher = helper ? helper.stream(stream++) : new BodyHasher(fields);
        if (l.followers) l.records = [];
      }
    }
    streamTrace(reader, (header) => {
      for (const l of lanes) startLane(l, header);
      endEvent(lanes);
      // Without followers there is nothing to settle after an event (a large trace checked
      // under one policy then pays nothing per event beyond its replay).
      const settle = lanes.some((l) => l.followers > 0);
      return (ev, i) => {
        for (const l of lanes) {
          if (l.out || l.leader.out) continue;
          try {
            l.replayer!.apply(ev, i);
          } catch {
            l.out = true;
          }
        }
        if (settle) endEvent(lanes);
      };
    });
    digest = reader.trailer!.digest;
  } catch (e) {
    helper?.dispose();
    throw e;
  } finally {
    reader?.close();
  }
  try {
    return concludeLanes(inps, exps, lanes, share, reader.header.provenance.details, digest, results, helper, tailOf);
  } finally {
    helper?.dispose();
  }
}

/** What renders and hashes a leader's body: a BodyHasher here, or a stream to the check's thread. */
interface BodyDigest {
  add(r: ReplayRecord): void;
  readonly lines: number;
  digest(): string;
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0; // openTrace reports it
  }
}

/** The check's thread for the leaders' bodies and the raw digests of the goldens they are held to (their index in `tailOf`). */
function startHelper(lanes: readonly Lane[], exps: readonly (Expected | null)[], tailOf: Map<string, number>): CheckThread {
  const tails: FileTail[] = [];
  for (const l of lanes) {
    for (const i of [l.lane, ...l.members]) {
      const exp = exps[i]!;
      if (tailOf.has(exp.bodyFile)) continue;
      const t = exp.body.rawDigestSource();
      if (t) {
        tailOf.set(exp.bodyFile, tails.length);
        tails.push(t);
      }
    }
  }
  return new CheckThread(lanes.filter((l) => l.leader === l).length, tails);
}

/** After the quick replay: the pairs whose bodies hash to their goldens' are matches; returns the pairs to replay again. */
function concludeLanes(inps: readonly PairInput[], exps: readonly (Expected | null)[], lanes: readonly Lane[], share: boolean, details: Readonly<Record<string, string>>, digest: string, results: (PairResult | undefined)[], helper: CheckThread | null, tailOf: ReadonlyMap<string, number>): number[] {
  const retry: number[] = [];
  const raw = new Map<string, string>();
  for (const l of lanes) {
    if (l.out || l.leader.out) {
      // Its replay stopped early, so it vouches for none of its members.
      if (share) retry.push(...l.members);
      continue;
    }
    const ld = l.leader;
    ld.sha256 ??= ld.hasher!.digest();
    for (const i of [l.lane, ...l.members]) {
      if (i !== l.lane && !agrees(l.consults!, inps[i].policy, details)) {
        retry.push(i);
        continue;
      }
      const exp = exps[i]!;
      const bh = exp.bodyHeader;
      if (ld.hasher!.lines !== bh.bodyLines || ld.sha256 !== bh.bodySha256) continue;
      let rd = raw.get(exp.bodyFile);
      if (rd === undefined) {
        // The helper's digest when it read the file; else this thread reads it (and reports what is wrong with it).
        const t = tailOf.get(exp.bodyFile);
        rd = (t !== undefined && helper ? helper.fileDigest(t) : null) ?? exp.body.rawDigest();
        raw.set(exp.bodyFile, rd);
      }
      if (rd !== (bh.storedSha256 ?? bh.bodySha256)) continue;
      const res = matchedResult(inps[i], exp, digest);
      if (res) results[i] = res;
    }
  }
  return retry.sort((a, b) => a - b);
}

/** Would the policy of a member have answered the replay's questions as its own policy did (on this trace's host)? */
function agrees(log: ConsultLog, policy: Policy, details: Readonly<Record<string, string>>): boolean {
  try {
    return log.agrees(policyForTrace(policy, details));
  } catch {
    return false;
  }
}

function startLane(l: Lane, header: TraceHeader): void {
  const sink: ReplaySink =
    l.leader === l
      ? l.records
        ? (rec) => {
            l.hasher!.add(rec);
            l.records!.push(rec);
          }
        : (rec) => l.hasher!.add(rec)
      : (rec) => {
          const ld = l.leader;
          if (l.out || ld.out) return;
          if (l.at >= ld.records!.length || !sameRecord(rec, ld.records![l.at])) l.out = true;
          else l.at++;
        };
  try {
    l.replayer = new Replayer(header, { policy: l.inp.policy, ...l.inp.replay, consults: l.consults }, sink);
  } catch {
    l.out = true;
  }
}

/** After an event (or the resets): a follower that did not produce exactly its leader's records leaves the quick path. */
function endEvent(lanes: readonly Lane[]): void {
  for (const l of lanes) {
    if (l.leader === l) continue;
    if (l.at !== l.leader.records!.length) l.out = true;
    l.at = 0;
  }
  for (const l of lanes) if (l.records) l.records.length = 0;
}

/** Stale reasons and the status, from the recorded digests and the drift (shared by both paths). */
function conclude(res: PairResult, e: Expected, digest: string, drift: DriftReport | null, inp: PairInput): void {
  const { trace, policy } = inp;
  const h = e.header;
  const stale: string[] = [];
  if (e.sharedChanged) stale.push(e.sharedChanged);
  if (h.traceDigest !== digest) stale.push(`trace digest changed (golden ${short(h.traceDigest)}, trace ${short(digest)})`);
  if (h.policyDigest !== policy.digest) stale.push(`policy ${policy.id} changed (golden ${short(h.policyDigest)}, policy ${short(policy.digest)})`);
  if (h.model !== MODEL_VERSION) stale.push(`model version changed (golden ${h.model}, now ${MODEL_VERSION})`);
  if (stale.length) res.stale = stale;
  if (drift) {
    res.status = 'drift';
    res.drift = drift;
    res.message = `${drift.total} difference${drift.total === 1 ? '' : 's'}; if the new behaviour is right: \`${blessHint(trace, policy.id, inp.policyFile)}\``;
  } else if (stale.length) {
    res.status = 'stale';
    res.message = `output unchanged but ${stale.join('; ')}; restamp with \`${blessHint(trace, policy.id, inp.policyFile)}\``;
  } else {
    res.status = 'match';
  }
}

/** The full streaming comparison: every line rendered, compared and hashed on both sides. */
function fullCheck(inp: PairInput, limits: Partial<CompareOptions>): PairResult {
  const { trace, policy, golden } = inp;
  let pendingWriter: BodyWriter | null = null;
  const res: PairResult = { id: `${trace}::${policy.id}`, trace, policy: policy.id, golden, status: 'error' };
  let exp: Expected | null = null;
  try {
    exp = openExpected(inp);
    const e = exp;
    if (e?.header.sameAs) res.sameAs = e.header.sameAs;
    if (e) res.goldenSha256 = e.header.bodySha256;
    const hasher = new LineHasher();
    const pending = inp.pendingDir ? new BodyWriter(path.join(inp.pendingDir, ...`${golden}.new`.split('/')), 'pending golden') : null;
    pendingWriter = pending;
    const tee = pending ? (line: string) => (hasher.add(line), pending.line(line)) : (line: string) => hasher.add(line);
    let cmp: StreamCompare | null = null;
    const project = inp.project;
    const produce = inp.produce ?? ((setup) => replayLines(inp.layout, trace, policy, setup, inp.replay));
    const digest = produce(
      (header, fields) => {
        if (e) {
          const old = project ? projectedSource(e.body, project) : e.body;
          cmp = new StreamCompare(old, {
            pairId: res.id,
            fields,
            unobservable: unobservableFor(header),
            firstBodyLine: e.firstBodyLine,
            goldenName: e.bodyFile,
            newName: inp.newName ?? `replay of traces/${trace} under ${policy.id}`,
            ...limits,
          });
          const c = cmp;
          return (line, rec) => {
            tee(line);
            const shown = project ? project(line) : line;
            if (shown !== null) c.push(shown, rec.index);
          };
        }
        return (line) => tee(line);
      },
    );
    res.bodySha256 = hasher.digest();
    res.bodyLines = hasher.lines;
    res.traceDigest = digest;
    if (!e || !cmp) {
      res.status = 'missing';
      res.message = `no golden ${golden}; create it with \`${blessHint(trace, policy.id, inp.policyFile)}\``;
      keepPending(pending, res, policy);
      return res;
    }
    const drift = (cmp as StreamCompare).finish();
    e.body.drain();
    e.close();
    exp = null;
    const bh = e.bodyHeader;
    const fault = bodyFault(e.body, bh);
    if (fault) throw bodyFaultError(fault, bh, e.bodyFile, e.firstBodyLine, blessHint(trace, bh.policy ?? policy.id, bh.policy === policy.id ? inp.policyFile : undefined));
    conclude(res, e, digest, drift, inp);
    if (res.status !== 'match') keepPending(pending, res, policy);
    return res;
  } catch (err) {
    exp?.close();
    if (err instanceof InputError || err instanceof UsageError) {
      res.status = 'error';
      res.message = err.message;
      delete res.drift;
      return res;
    }
    throw err;
  } finally {
    pendingWriter?.discard();
  }
}

function projectedSource(src: LineSource, project: (line: string) => string | null): LineSource {
  return {
    next() {
      for (;;) {
        const l = src.next();
        if (l === null) return null;
        const p = project(l);
        if (p !== null) return p;
      }
    },
  };
}

function keepPending(w: BodyWriter | null, res: PairResult, policy: Policy): void {
  if (!w) return;
  const { sha256, lines } = w.close();
  const header: GoldenHeader = { format: formatForBody(w), trace: res.trace, traceDigest: res.traceDigest, policy: policy.id, policyDigest: policy.digest, gicreplay: GICREPLAY_VERSION, model: MODEL_VERSION, bodyLines: lines, bodySha256: sha256 };
  commitGolden(w.file, header, w, {}, 'pending golden');
  res.pending = `${res.golden}.new`;
}

function short(d: string | undefined): string {
  return d ? d.slice(0, 12) : '(none)';
}
