// `record kvm` on the nested host (Debian's arm64 kernel under QEMU, one boot per test): the
// bare-metal GICv3 guest runs unchanged on KVM and its host ftrace imports into a trace whose
// header says what the host could not see; a guest that never ends, and one that touches a
// device the VMM does not emulate, are stopped with a clear error and their console tail.
// Never skipped: without QEMU, the cross compiler or the kernel these fail with the install step.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EventKind, Frame, MmioReadEvent } from '../../trace/events';
import { buildGuests, guestsDir, readEvents } from '../../sources/qemu/live-check';
import { KvmHostError, NestedHost } from './host';
import { readBlindSpots, recordKvm, vmmJob } from './record';
import { projectRoot } from '../../util/project-root';

jest.setTimeout(240_000);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-record-kvm-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A tiny guest linked where virt's RAM is: `body` is AArch64 assembly after a console message. */
function asmGuest(name: string, body: string): string {
  const src = path.join(tmp, `${name}.S`);
  const elf = path.join(tmp, `${name}.elf`);
  fs.writeFileSync(src, `\t.global _start\n_start:\n\tmov x1, #0x09000000\n\tmov w2, #'h'\n\tstr w2, [x1]\n\tmov w2, #'i'\n\tstr w2, [x1]\n\tmov w2, #10\n\tstr w2, [x1]\n${body}\n`);
  const r = spawnSync('aarch64-linux-gnu-gcc', ['-nostdlib', '-static', '-Wl,-Ttext=0x40100000', '-Wl,--build-id=none', '-o', elf, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`assembling ${name}: ${r.stderr || r.error?.message} (run bash tools/kvm/install.sh)`);
  return elf;
}

test('the vmm job lays the VM out like QEMU virt', () => {
  const j = vmmJob({ gic: 3, smp: 2, elf: 'guest.elf', timeoutMs: 5000, id: 'g' });
  expect(j).toContain('dist 0x8000000\nredist 0x80a0000 2\nram 0x40000000 0x4000000\nuart 0x9000000\ndoorbell 0xb000000\n');
  expect(j).toContain('event kvm/kvm_mmio\n');
  expect(vmmJob({ gic: 2, smp: 1, elf: 'g', timeoutMs: 1, id: 'g' })).toContain('cpuif 0x8010000\n');
});

test("a blind-spots file: one per line, comments and blank lines skipped, an empty or missing one refused", () => {
  const bs = readBlindSpots(path.join(projectRoot(), 'tools/kvm/linux-guest/blind-spots.txt'));
  expect(bs.lines.length).toBe(5);
  expect(bs.lines.some((l) => l.startsWith('#'))).toBe(false);
  const f = path.join(tmp, 'none.txt');
  fs.writeFileSync(f, '# only a comment\n\n');
  expect(() => readBlindSpots(f)).toThrow(/names no blind spot/);
  expect(() => readBlindSpots(path.join(tmp, 'missing.txt'))).toThrow(/does not exist/);
});

test('the GICv3 test guest runs unchanged on KVM, and the host ftrace becomes a trace', () => {
  expect(buildGuests()).toBeNull();
  const out = path.join(tmp, 'g3.gtr');
  const r = recordKvm({ gic: 3, smp: 2, guest: path.join(guestsDir(), 'build', 'gicv3-guest.elf'), out, host: new NestedHost() });
  expect(r.ended).toBe('off 0');
  expect(r.console).toContain('T8 second CPU');
  expect(r.ftraceFile).toBe(path.join(tmp, 'g3.ftrace.txt'));
  expect(fs.readFileSync(r.ftraceFile!, 'utf8')).toMatch(/CPU 1\/KVM-\d+ .* kvm_mmio: mmio /);
  const h = r.import.header;
  expect(h.provenance.kind).toBe('kvm-ftrace');
  expect(h.provenance.details.captured).toMatch(/^yes/);
  expect(h.provenance.blindSpots.join(' ')).toMatch(/\(ICC_\*\) other than SGI generation/);
  expect(h.gic.cpus).toHaveLength(2);
  const evs = readEvents(out);
  // KVM's own distributor: GICD_IIDR as the 6.1 kernel's vGIC reports it (implementer 0x43b, product 0x4b, revision 3)
  const iidr = evs.find((e): e is MmioReadEvent => e.kind === EventKind.MmioRead && e.frame === Frame.Dist && e.offset === 0x8);
  expect(iidr?.observed).toBe(0x4b00343bn);
  // vCPU 1 made GIC accesses of its own (its redistributor wake-up), attributed by its thread
  expect(evs.some((e) => e.kind === EventKind.MmioWrite && e.cpu === 1)).toBe(true);
  // the ICC_SGI1R_EL1 writes trapped, without their value
  expect(evs.filter((e) => e.kind === EventKind.Marker && /ICC_SGI1R_EL1 write/.test(e.text)).length).toBeGreaterThan(0);
});

test('a guest that never ends is stopped with the watchdog message and its console tail', () => {
  const elf = asmGuest('hang', '1:\tb 1b');
  let err: unknown;
  try {
    recordKvm({ gic: 3, smp: 1, guest: elf, out: path.join(tmp, 'hang.gtr'), timeoutMs: 3000, host: new NestedHost() });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(KvmHostError);
  expect((err as Error).message).toMatch(/did not finish on KVM: the guest did not end \(PSCI SYSTEM_OFF\) within 3000 ms; stopped \(vcpu0 pc 0x4010001c\)/);
  expect((err as Error).message).toMatch(/guest console \(last lines\) ---\nhi$/);
  expect(fs.existsSync(path.join(tmp, 'hang.gtr'))).toBe(false);
});

test('a guest that touches a device the VMM does not emulate is stopped at that access', () => {
  const elf = asmGuest('fault', '\tmov x1, #0x0a000000\n\tldr w0, [x1]\n1:\tb 1b');
  expect(() => recordKvm({ gic: 2, smp: 1, guest: elf, out: path.join(tmp, 'fault.gtr'), timeoutMs: 20000, host: new NestedHost() })).toThrow(
    /did not finish on KVM: vcpu0: guest read of 4 bytes at 0xa000000, where no device is emulated \(pc 0x40100020\)[^]*guest console \(last lines\) ---\nhi$/,
  );
});
