// The CONSTRUCTED fixtures (fixtures/README.md: written by fixtures/generate.ts, not captured on a
// host; their trace headers say so in provenance.details.constructed) imported into
// traces/ftrace/, replayed under every built-in policy. Their values were written from the same
// KVM source the model follows, so these tests check the importer and the policy deltas (rev3
// reproduces every read; the other policies differ exactly where KVM's revisions differ:
// GICD_IIDR's Revision field, GICR_CTLR.{IR,CES} only at rev 3), not the model's fidelity to a
// real host.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { builtinPolicies, BUILTIN_POLICY_IDS } from '../../policy/policy';
import { ReadRecord, ReplayRecord } from '../../replay/records';
import { replayFile } from '../../replay/replay';
import { readTrace } from '../../trace/reader';
import { projectRoot } from '../../util/project-root';
import { sourceCanObserve } from '../../replay/observability';
import { importFtrace } from './importer';

const root = projectRoot();
const GENERATOR = 'engine/sources/ftrace/fixtures/generate.ts';
// For each policy, the registers whose replayed reads differ from the recorded (rev-3) values.
// GICv3: GICR_CTLR advertises IR|CES (0x6) only at revision 3. A Linux GICv2 guest never touches
// IGROUPR, so only the IIDR it reads differs; the group probe shows rev1 dropping IGROUPR writes
// while rev1-iidr-only (the counter-proposal) changes only the IIDR.
const FIXTURES = [
  {
    text: 'virt-gicv3-2cpu-boot.trace.txt',
    trace: 'virt-gicv3-2cpu-boot.gtr',
    gic: 3 as const,
    cpus: 2,
    differs: { rev2: ['GICD_IIDR', 'GICR_CTLR'], rev1: ['GICD_IIDR', 'GICR_CTLR'], 'rev1-iidr-only': ['GICD_IIDR', 'GICR_CTLR'] },
  },
  { text: 'virt-gicv2-2cpu-boot.report.txt', trace: 'virt-gicv2-2cpu-boot.gtr', gic: 2 as const, cpus: 2, differs: { rev2: ['GICD_IIDR'], rev1: ['GICD_IIDR'], 'rev1-iidr-only': ['GICD_IIDR'] } },
  {
    text: 'virt-gicv2-1cpu-group-probe.trace.txt',
    trace: 'virt-gicv2-1cpu-group-probe.gtr',
    gic: 2 as const,
    cpus: 1,
    differs: { rev2: ['GICD_IIDR'], rev1: ['GICD_IGROUPR0', 'GICD_IGROUPR1', 'GICD_IIDR'], 'rev1-iidr-only': ['GICD_IIDR'] },
  },
];

function replayReads(trace: string, policyId: string): ReadRecord[] {
  const policy = builtinPolicies().find((p) => p.id === policyId)!;
  const out: ReplayRecord[] = [];
  replayFile(trace, { policy }, (r) => out.push(r));
  return out.filter((r): r is ReadRecord => r.op === 'read');
}

describe.each(FIXTURES)('fixture $text', ({ text, trace, gic, cpus, differs }) => {
  const tracePath = path.join(root, 'traces/ftrace', trace);

  test('traces/ftrace holds its current import (same header and event digest)', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-ftrace-fx-'));
    try {
      const r = importFtrace({ file: path.join(root, 'engine/sources/ftrace/fixtures', text), gic, map: 'virt', out: path.join(tmp, trace), details: { constructed: GENERATOR } });
      const committed = readTrace(tracePath);
      expect(committed.trailer?.digest).toBe(r.trailer.digest);
      expect(committed.header.provenance).toEqual(r.header.provenance);
      expect(committed.header.gic).toEqual(r.header.gic);
      expect(committed.header.timer).toEqual(r.header.timer);
      expect(committed.header.provenance.kind).toBe('kvm-ftrace');
      // Constructed, not captured: the header says so, for `trace info` and every report.
      expect(committed.header.provenance.details.constructed).toBe(GENERATOR);
      expect(committed.header.gic.cpus).toHaveLength(cpus);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('replays under every built-in policy (importer and policy deltas; constructed values, not evidence about KVM)', () => {
    const header = readTrace(tracePath).header;
    const byPolicy: Record<string, Map<string, bigint>> = {};
    for (const id of BUILTIN_POLICY_IDS) {
      const reads = replayReads(tracePath, id);
      expect(reads.length).toBeGreaterThan(0);
      // Every read a KVM host trace holds is one the source observed, with its value.
      for (const r of reads) {
        expect(sourceCanObserve(header, r)).toBe(true);
        expect(r.recorded).not.toBeNull();
      }
      const diffs = new Map<string, bigint>();
      for (const r of reads) if (r.value !== r.recorded) diffs.set(`${r.reg}@${r.index}`, r.value);
      byPolicy[id] = diffs;
    }
    // Constructed with rev-3 values: rev3 and mainline-rev3 reproduce every read.
    expect([...byPolicy['rev3'].keys()]).toEqual([]);
    expect([...byPolicy['mainline-rev3'].keys()]).toEqual([]);
    const regs = (id: string) => [...new Set([...byPolicy[id].keys()].map((k) => k.split('@')[0]))].sort();
    for (const [id, expected] of Object.entries(differs)) expect([id, regs(id)]).toEqual([id, expected]);
    const iidr = (id: string) => [...byPolicy[id].entries()].find(([k]) => k.startsWith('GICD_IIDR@'))?.[1];
    expect(iidr('rev2')).toBe(0x4b00243bn);
    expect(iidr('rev1')).toBe(0x4b00143bn);
    for (const [k, v] of byPolicy['rev2']) if (k.startsWith('GICR_CTLR@')) expect(v).toBe(0n);
    for (const [k, v] of byPolicy['rev1']) if (k.startsWith('GICD_IGROUPR')) expect(v).toBe(0n);
  });
});
