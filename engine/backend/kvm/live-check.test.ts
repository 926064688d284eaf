// The live check's comparison (live-check.ts) on the captured traces: per vCPU, without host time.
// Real data: the doorbell guest on 6.1 and on 6.12 (two hosts, two runs) is one event stream.

import * as path from 'path';
import { readEvents } from '../../sources/qemu/live-check';
import { EventKind, TraceEvent } from '../../trace/events';
import { projectRoot } from '../../util/project-root';
import { compareLiveViews, KVM_LIVE_RECORDINGS } from './live-check';

const trace = (name: string) => readEvents(path.join(projectRoot(), 'traces/ftrace', `${name}.gtr`));

test('the doorbell guest on 6.1 and on 6.12: the same stream on every vCPU, host time aside', () => {
  expect(compareLiveViews(trace('kvm-6.1-gicv3-doorbell-smp2'), trace('kvm-6.12-gicv3-doorbell-smp2'))).toBeNull();
});

test('a missing access is named by vCPU and position; the MMIO-only view ignores lines but not accesses', () => {
  const evs = trace('kvm-6.1-gicv3-doorbell-smp2');
  const firstLine = evs.findIndex((e) => e.kind === EventKind.Line && e.intid === 48);
  const noLine: TraceEvent[] = evs.filter((_, i) => i !== firstLine);
  expect(compareLiveViews(evs, noLine)).toMatch(/^none, its event \d+: checked in \[7,48,null,1\], recorded \[7,48,null,0\]/);
  expect(compareLiveViews(evs, noLine, true)).toBeNull();
  const firstRead = evs.findIndex((e) => e.kind === EventKind.MmioRead);
  expect(compareLiveViews(evs, evs.filter((_, i) => i !== firstRead), true)).toMatch(/^cpu0, its event \d+: checked in /);
});

test("the MMIO-only view leaves out a GICv2 guest's IPIs (GICD_SGIR writes), which move with nested timing", () => {
  const evs = trace('kvm-6.1-gicv2-linux-smp2');
  const sgir = evs.findIndex((e) => e.kind === EventKind.MmioWrite && e.offset === 0xf00);
  expect(sgir).toBeGreaterThan(0);
  expect(compareLiveViews(evs, evs.filter((_, i) => i !== sgir), true)).toBeNull();
  expect(compareLiveViews(evs, evs.filter((_, i) => i !== sgir))).not.toBeNull();
});

test('the Linux guests are checked by their GIC MMIO accesses only, every other recording by its whole stream', () => {
  expect(KVM_LIVE_RECORDINGS.filter((r) => r.linux).map((r) => r.name)).toEqual(['kvm-6.1-gicv3-linux-smp2', 'kvm-6.1-gicv2-linux-smp2']);
});
