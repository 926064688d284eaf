// The differential campaign: seeded random streams (generate.ts) on the model and on real KVM,
// batched into one boot per GIC version, compared access by access with the fidelity machinery
// (fidelity.ts) and classified by its rules (kvm-rules.ts). Counts by register class; every
// unexplained difference shrunk (shrink.ts) to a minimal stream.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Policy } from '../../../policy/policy';
import { EventKind, Frame, TraceEvent, UserGroup } from '../../../trace/events';
import { writeTrace } from '../../../trace/writer';
import { FidelityDifference, kvmFidelity } from '../fidelity';
import { KvmHost } from '../host';
import { generateStream, Stream } from './generate';

/** The register class of an event, for the report's counts. */
export function eventClass(ev: TraceEvent, version: 2 | 3): string {
  switch (ev.kind) {
    case EventKind.MmioRead:
    case EventKind.MmioWrite:
      return ev.frame === Frame.Dist ? 'GICD' : ev.frame === Frame.CpuIf ? 'GICC' : ev.frame === Frame.Its ? 'GITS' : 'GICR';
    case EventKind.SysregRead:
    case EventKind.SysregWrite:
      return 'ICC';
    case EventKind.UserRead:
    case EventKind.UserWrite:
      return ev.group === UserGroup.Ctrl ? 'user ctrl' : ev.group === UserGroup.DistRegs ? 'user dist' : ev.group === UserGroup.RedistRegs ? 'user redist' : ev.group === UserGroup.CpuRegs ? 'user cpu' : 'user sysregs';
    case EventKind.Line:
      return ev.intid < 32 ? 'PPI line' : 'SPI line';
    default:
      return version === 2 ? 'other' : 'other';
  }
}

export interface ClassCounts {
  /** Events of the class in the streams (every access is replayed on both). */
  accesses: number;
  /** Values compared at those events: reads, device-attribute errnos. */
  compared: number;
  differences: number;
  unexplained: number;
}

export interface CampaignOptions {
  host: KvmHost;
  policy: Policy;
  seed: number;
  /** Streams per GIC version. */
  streams: number;
  /** Events per stream. */
  events: number;
  versions?: readonly (2 | 3)[];
  runTimeoutMs?: number;
  /** Work directory for the stream files (default: a fresh temporary one, removed afterwards). */
  dir?: string;
}

export interface CampaignReport {
  host: string;
  policy: string;
  seed: number;
  streams: number;
  accesses: number;
  compared: { reads: number; errnos: number; outputs: number };
  notComparable: number;
  boots: number;
  /** By register class, sorted by name; outputs are the IRQ/FIQ class. */
  classes: Record<string, ClassCounts>;
  /** By explanation class (host, kernel-version, unmodelled, unexplained). */
  byExplanation: Record<string, number>;
  /** By rule, explained differences. */
  byRule: Record<string, number>;
  unexplained: (FidelityDifference & { stream: string })[];
  /** The streams, by name, for shrinking. */
  streamsByName: Map<string, Stream>;
}

export function streamSeeds(seed: number, n: number, version: 2 | 3): number[] {
  return Array.from({ length: n }, (_, i) => (seed * 1000003 + i * 2 + (version === 2 ? 1 : 0)) >>> 0);
}

const bump = (o: Record<string, number>, k: string, by = 1): void => {
  o[k] = (o[k] ?? 0) + by;
};

export function writeStreams(streams: readonly Stream[], dir: string): string[] {
  return streams.map((s) => {
    const f = path.join(dir, `${s.name}.gtr`);
    writeTrace(f, s.header, s.events);
    return f;
  });
}

/** Run streams on the model and on KVM; one boot per GIC version present. */
export function compareStreams(streams: readonly Stream[], o: { host: KvmHost; policy: Policy; runTimeoutMs?: number; dir?: string }): ReturnType<typeof kvmFidelity> & { boots: number } {
  const dir = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-campaign-'));
  try {
    const files = writeStreams(streams, dir);
    const versions = new Set(streams.map((s) => s.header.gic.version));
    const rep = kvmFidelity(files, { host: o.host, policy: o.policy, runTimeoutMs: o.runTimeoutMs, names: streams.map((s) => s.name) });
    return { ...rep, boots: versions.size };
  } finally {
    if (!o.dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function runCampaign(o: CampaignOptions): CampaignReport {
  const streams: Stream[] = [];
  for (const v of o.versions ?? [3, 2]) for (const s of streamSeeds(o.seed, o.streams, v)) streams.push(generateStream({ seed: s, version: v, events: o.events, policy: o.policy }));
  const rep = compareStreams(streams, o);
  const byName = new Map(streams.map((s) => [s.name, s]));
  const classes: Record<string, ClassCounts> = {};
  const cls = (k: string): ClassCounts => (classes[k] ??= { accesses: 0, compared: 0, differences: 0, unexplained: 0 });
  const report: CampaignReport = {
    host: rep.host,
    policy: rep.policy,
    seed: o.seed,
    streams: streams.length,
    accesses: 0,
    compared: { reads: 0, errnos: 0, outputs: 0 },
    notComparable: 0,
    boots: rep.boots,
    classes,
    byExplanation: {},
    byRule: {},
    unexplained: [],
    streamsByName: byName,
  };
  for (const t of rep.traces) {
    const s = byName.get(t.trace)!;
    const v = s.header.gic.version;
    for (const ev of s.events) {
      const c = cls(`v${v} ${eventClass(ev, v)}`);
      c.accesses++;
      if (ev.kind === EventKind.MmioRead || ev.kind === EventKind.SysregRead || ev.kind === EventKind.UserRead || ev.kind === EventKind.UserWrite) c.compared++;
    }
    report.accesses += s.events.length;
    report.compared.reads += t.compared.reads;
    report.compared.errnos += t.compared.errnos;
    report.compared.outputs += t.compared.outputs;
    report.notComparable += t.notComparable;
    const out = cls(`v${v} IRQ/FIQ`);
    out.compared += t.compared.outputs;
    for (const d of t.differences) {
      const k = d.what === 'irq' || d.what === 'fiq' ? `v${v} IRQ/FIQ` : `v${v} ${eventClass(s.events[d.index], v)}`;
      const c = cls(k);
      c.differences++;
      bump(report.byExplanation, d.class);
      if (d.class === 'unexplained') {
        c.unexplained++;
        report.unexplained.push({ ...d, stream: t.trace });
      } else bump(report.byRule, (d.rule ?? d.class).replace(/ \(cascade from event \d+\)$/, ' (cascade)'));
    }
  }
  return report;
}

/** A difference's signature: what kind of disagreement, on which register (array index dropped). */
export function signature(d: Pick<FidelityDifference, 'what' | 'reg'>): string {
  return `${d.what} ${/_EL\d$/.test(d.reg) ? d.reg : d.reg.replace(/\d+$/, 'n')}`;
}
