// The importer on CAPTURED host text: the bare-metal test guests (tools/qemu/guests) recorded on
// real KVM with `gicreplay record kvm` on Debian's 6.1 and 6.12 kernels (nested under QEMU); the
// tracefs text is kept in traces/ftrace/*.ftrace.txt.gz beside each imported trace. Round trip:
// importing the kept text again gives the checked-in trace (same header and event digest), so the
// traces are exactly the importer's reading of what the hosts printed. The facts asserted are the
// ones the guests' own console checks against real KVM showed (KVM's GICD_IIDR and GICD_TYPER,
// both vCPUs' threads, every read answered, no ring-buffer loss).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EventKind, Frame, MmioReadEvent, TraceEvent } from '../../trace/events';
import { readTrace } from '../../trace/reader';
import { projectRoot } from '../../util/project-root';
import { importFtrace } from './importer';

const root = projectRoot();
const CAPTURES = [
  { name: 'kvm-6.1-gicv3-guest-smp2', gic: 3 as const, release: '6.1.0-' },
  { name: 'kvm-6.1-gicv2-guest-smp2', gic: 2 as const, release: '6.1.0-' },
  { name: 'kvm-6.12-gicv3-guest-smp2', gic: 3 as const, release: '6.12.' },
  { name: 'kvm-6.12-gicv2-guest-smp2', gic: 2 as const, release: '6.12.' },
];

const distRead = (evs: TraceEvent[], offset: number): bigint | null | undefined =>
  evs.find((e): e is MmioReadEvent => e.kind === EventKind.MmioRead && e.frame === Frame.Dist && e.offset === offset)?.observed;

describe.each(CAPTURES)('captured $name', ({ name, gic, release }) => {
  const text = path.join(root, 'traces/ftrace', `${name}.ftrace.txt.gz`);
  const committed = readTrace(path.join(root, 'traces/ftrace', `${name}.gtr`));
  const evs = committed.events;

  test('re-importing the kept host text gives the checked-in trace', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-ftrace-cap-'));
    try {
      const d = committed.header.provenance.details;
      const details = Object.fromEntries(['captured', 'guest', 'guestEnded', 'recordedOn', 'vmm', 'vmmSteps'].map((k) => [k, d[k]]));
      const r = importFtrace({ file: text, gic, map: 'virt', cpus: 2, spis: 256, its: false, clock: 'global', command: committed.header.provenance.command, details, out: path.join(tmp, `${name}.gtr`) });
      expect(r.trailer.digest).toBe(committed.trailer?.digest);
      expect(r.header.provenance).toEqual(committed.header.provenance);
      expect(r.stats.lostEvents).toEqual([]);
      expect(r.stats.counts.unansweredReads).toBe(0);
      expect(r.stats.counts.unpairedReads).toBe(0);
      expect(r.stats.counts.mmioUnknownVcpu).toBe(0);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('the header says it was captured, where, and what the host could not see', () => {
    const p = committed.header.provenance;
    expect(p.details.captured).toMatch(/^yes/);
    expect(p.details.constructed).toBeUndefined();
    expect(p.details.recordedOn).toContain(`Linux ${release}`);
    expect(p.details.guestEnded).toBe('off 0');
    expect(p.blindSpots.join(' ')).toMatch(gic === 3 ? /\(ICC_\*\) other than SGI generation/ : /GICv2 CPU interface \(GICC_\*\)/);
  });

  test("KVM's distributor as the guest read it: GICD_IIDR implementer 0x43b, product 0x4b, revision 3", () => {
    expect(distRead(evs, 0x8)).toBe(0x4b00343bn);
    // GICD_TYPER: ITLinesNumber 8 (256 SPIs); GICv3 also IDbits 9 (10 INTID bits, no LPIs without an ITS's MBIS), GICv2 CPUNumber 1
    expect(distRead(evs, 0x4)).toBe(gic === 3 ? 0x480008n : 0x28n);
  });

  test('both vCPUs made GIC accesses, each from its own CPU n/KVM thread', () => {
    for (const cpu of [0, 1]) expect(evs.some((e) => (e.kind === EventKind.MmioWrite || e.kind === EventKind.MmioRead) && e.cpu === cpu)).toBe(true);
    expect(committed.header.provenance.details.vcpuThreads).toMatch(/^0:\d+ 1:\d+$/);
  });

  test(gic === 3 ? 'the trapped ICC_SGI1R_EL1 writes are markers without a value' : 'GICD_SGIR writes carry their value', () => {
    if (gic === 3) expect(evs.filter((e) => e.kind === EventKind.Marker && /^ftrace: ICC_SGI1R_EL1 write \(3,0,12,11,5\) at PC 0x[0-9a-f]+; value not traced/.test(e.text)).length).toBeGreaterThan(0);
    else expect(evs.some((e) => e.kind === EventKind.MmioWrite && e.frame === Frame.Dist && e.offset === 0xf00)).toBe(true);
  });
});
