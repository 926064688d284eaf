// The differential campaign's library entry (`gicreplay campaign`, `npm run fidelity`): run,
// count by register class, shrink each distinct unexplained difference, compare with the list of
// known open ones (golden/kvm-campaign-open.json), write the minimal streams as traces.

import * as path from 'path';
import { readInputText } from '../../../util/input-file';
import { writeTrace } from '../../../trace/writer';
import { InputError } from '../../../errors';
import { CampaignOptions, CampaignReport, runCampaign, signature } from './run';
import { Shrunk, shrinkAll, ShrinkTarget } from './shrink';

export { generateStream, Prng } from './generate';
export type { Stream, StreamOptions } from './generate';
export { runCampaign, eventClass, signature, compareStreams } from './run';
export type { CampaignReport, ClassCounts, CampaignOptions } from './run';
export { shrinkAll } from './shrink';
export type { Shrunk, ShrinkTarget } from './shrink';

export const DEFAULT_CAMPAIGN_OPEN = 'golden/kvm-campaign-open.json';

export interface CampaignResult {
  report: CampaignReport;
  /** Distinct unexplained signatures, sorted. */
  signatures: string[];
  /** Signatures not in the open list (the failures). */
  newSignatures: string[];
  /** Open-list signatures this run did not see. */
  vanished: string[];
  shrunk: Shrunk[];
}

export interface OpenList {
  note: string;
  kernel: string;
  signatures: string[];
}

export function readOpenList(file: string): OpenList {
  const text = readInputText(file, 'campaign open list', 1 << 20);
  try {
    const j = JSON.parse(text) as OpenList;
    if (!Array.isArray(j.signatures)) throw new Error('no signatures array');
    return j;
  } catch (e) {
    throw new InputError(`not a campaign open list: ${(e as Error).message}`, { file }, '{"note": …, "kernel": …, "signatures": [ "read GICR_ISPENDRn", … ]}');
  }
}

export function renderOpenList(signatures: readonly string[], kernel: string): string {
  const j: OpenList = { note: 'unexplained campaign differences still open (gicreplay campaign --write-open); CI fails on any other', kernel, signatures: [...signatures].sort() };
  return `${JSON.stringify(j, null, 2)}\n`;
}

export function fidelityCampaign(o: CampaignOptions & { open?: OpenList; shrink?: number; shrinkRounds?: number; progress?: (l: string) => void }): CampaignResult {
  const report = runCampaign(o);
  const sigs = [...new Set(report.unexplained.map((d) => signature(d)))].sort();
  const open = new Set(o.open?.signatures ?? []);
  const newSignatures = o.open ? sigs.filter((s) => !open.has(s)) : sigs;
  const vanished = o.open ? [...open].filter((s) => !sigs.includes(s)).sort() : [];
  let shrunk: Shrunk[] = [];
  const want = o.shrink ?? 0;
  if (want > 0) {
    // The first occurrence of each signature (new ones first), in the shortest prefix.
    const firsts = new Map<string, ShrinkTarget>();
    for (const d of [...report.unexplained].sort((a, b) => a.index - b.index)) {
      const s = signature(d);
      if (!firsts.has(s)) firsts.set(s, { stream: report.streamsByName.get(d.stream)!, difference: d });
    }
    const order = [...firsts.keys()].sort((a, b) => Number(open.has(a)) - Number(open.has(b)) || (a < b ? -1 : 1));
    shrunk = shrinkAll(order.slice(0, want).map((s) => firsts.get(s)!), { host: o.host, policy: o.policy, maxRounds: o.shrinkRounds, runTimeoutMs: o.runTimeoutMs, progress: o.progress });
  }
  return { report, signatures: sigs, newSignatures, vanished, shrunk };
}

/** Write each shrunk stream as a trace `<dir>/<name>.gtr`; returns the paths. */
export function writeShrunk(shrunk: readonly Shrunk[], dir: string): string[] {
  return shrunk.map((s) => {
    const name = `campaign-${s.signature.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}`;
    const f = path.join(dir, `${name}.gtr`);
    const h = { ...s.stream.header, provenance: { ...s.stream.header.provenance, command: `${s.stream.header.provenance.command}, shrunk to the first '${s.signature}' difference`, details: { kvm: `${s.difference.reg}: model ${s.difference.model}, KVM ${s.difference.kvm} at event ${s.difference.index}` } } };
    writeTrace(f, h, s.stream.events);
    return f;
  });
}

