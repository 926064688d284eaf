// `gicreplay record kvm`: run a guest image on real KVM (the runner's minimal VMM, tools/kvm/JOB.md
// "vmm"), with the host's KVM tracepoints on, and import the host's ftrace text with the ftrace
// importer. The VM is laid out like QEMU's virt machine (RAM at 0x40000000, the GIC frames and
// the PL011 where virt has them), so the bare-metal guests in tools/qemu/guests run unchanged and
// the importer's built-in virt map decodes the accesses.

import * as fs from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { UsageError } from '../../errors';
import { FtraceImportResult, importFtrace } from '../../sources/ftrace/importer';
import { GicVersion, TraceTrailer } from '../../trace/events';
import { hex } from '../../util/hex';
import { writeOutputFile } from '../../util/output-file';
import { KvmHost, KvmHostError, tail } from './host';
import { TraceAnswers } from './output';

/** QEMU virt's map (hw/arm/virt.c base_memmap) for what the VMM places. */
export const VIRT_VMM = {
  ramBase: 0x4000_0000,
  /** Enough for the bare-metal guests (linked at 0x40100000) and a small Linux guest. */
  ramSize: 64 << 20,
  uart: 0x0900_0000,
  /** The runner's doorbell (tools/kvm/JOB.md): a page virt leaves empty, between virtio-mmio and the platform bus. */
  doorbell: 0x0b00_0000,
  dist: 0x0800_0000,
  cpuif: 0x0801_0000,
  redist: 0x080a_0000,
  /** virt's 256 SPIs (KVM_DEV_ARM_VGIC_GRP_NR_IRQS = 32 + 256). */
  spis: 256,
};

/**
 * The host tracepoints enabled for a recording: every event the ftrace importer reads, plus the
 * exits that explain a run (userspace exits: the console; HVCs: PSCI CPU_ON and SYSTEM_OFF).
 * A leading `?` makes one optional: kvm_set_irq is defined on arm64 6.1 and 6.12 but later kernels
 * define it for x86 only (include/trace/events/kvm.h, under __KVM_HAVE_IOAPIC).
 */
export const RECORD_EVENTS: readonly string[] = [
  'kvm/kvm_mmio',
  'kvm/kvm_sys_access',
  'kvm/vgic_update_irq_pending',
  'kvm/kvm_timer_update_irq',
  'kvm/kvm_irq_line',
  '?kvm/kvm_set_irq',
  'kvm/kvm_timer_save_state',
  'kvm/kvm_timer_restore_state',
  'kvm/kvm_userspace_exit',
  'kvm/kvm_hvc_arm64',
];

export interface KvmRecordOptions {
  gic: GicVersion;
  smp: number;
  /** Bare-metal AArch64 ELF guest (tools/qemu/guests/build/*.elf). */
  guest: string;
  out: string;
  /** Keep the host's raw ftrace text here (default: `<out without .gtr>.ftrace.txt`; a name ending .gz is gzipped); null: do not keep it. The trace is imported from this file. */
  keepFtrace?: string | null;
  /** Milliseconds the guest may run before it is stopped (default 60000). */
  timeoutMs?: number;
  /** Guest RAM at virt's 0x40000000 in MiB (default 64; a Linux Image with its DTB and initrd wants 128: tools/kvm/linux-guest). */
  ramMiB?: number;
  /** This guest's own blind spots for the header (e.g. tools/kvm/linux-guest/blind-spots.txt), with the file they came from. */
  blindSpots?: { file: string; lines: readonly string[] };
  host: KvmHost;
}

/** A blind-spots file: one per line; blank lines and lines starting with # are skipped. */
export function readBlindSpots(file: string): { file: string; lines: string[] } {
  if (!fs.existsSync(file)) throw new UsageError(`blind-spots file ${file} does not exist`);
  const lines = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!lines.length) throw new UsageError(`blind-spots file ${file} names no blind spot (one per line; # starts a comment)`);
  return { file, lines };
}

export interface KvmRecordResult {
  import: FtraceImportResult & { trailer: TraceTrailer };
  /** The guest's console (PL011 output). */
  console: string;
  /** How the guest ended: "off N" (PSCI SYSTEM_OFF on vCPU N) or "reset N". */
  ended: string;
  ftraceFile: string | null;
  /** The host's ftrace text (tracefs `trace`). */
  ftrace: string;
  hostDescription: string;
  /** Microseconds the run took in the host kernel's clock (VM setup, guest, teardown). */
  elapsedUs?: number;
}

/** The vmm block of a job (tools/kvm/JOB.md). */
export function vmmJob(o: { gic: GicVersion; smp: number; elf: string; timeoutMs: number; id: string; ramSize?: number }): string {
  const v = VIRT_VMM;
  const lines = [
    `vmm ${o.id}`,
    `gic ${o.gic}`,
    `cpus ${o.smp}`,
    `nr-irqs ${32 + v.spis}`,
    `dist ${hex(v.dist)}`,
    o.gic === 3 ? `redist ${hex(v.redist)} ${o.smp}` : `cpuif ${hex(v.cpuif)}`,
    `ram ${hex(v.ramBase)} ${hex(o.ramSize ?? v.ramSize)}`,
    `uart ${hex(v.uart)}`,
    `doorbell ${hex(v.doorbell)}`,
    `elf ${o.elf}`,
    ...RECORD_EVENTS.map((e) => `event ${e}`),
    `timeout-ms ${o.timeoutMs}`,
    'go',
    'end',
  ];
  return `${lines.join('\n')}\n`;
}

/** The ftrace text and console of one vmm block's answers. */
export function vmmTexts(t: TraceAnswers): { console: string; ftrace: string; ended: string | null } {
  const con: string[] = [];
  const ft: string[] = [];
  let ended: string | null = null;
  for (const l of t.lines) {
    if (l.tag !== '-') continue;
    if (l.kind === 'c') con.push(l.rest);
    else if (l.kind === 'f') ft.push(l.rest);
    else if (l.kind === 'x') ended = l.rest;
  }
  return { console: con.join('\n'), ftrace: ft.length ? `${ft.join('\n')}\n` : '', ended };
}

export function defaultFtraceFile(out: string): string {
  return `${out.replace(/\.gtr$/, '')}.ftrace.txt`;
}

export function recordKvm(o: KvmRecordOptions): KvmRecordResult {
  if (o.gic !== 2 && o.gic !== 3) throw new UsageError(`--gic must be 2 or 3, not ${String(o.gic)}`);
  if (!Number.isInteger(o.smp) || o.smp < 1 || o.smp > (o.gic === 2 ? 8 : 123)) throw new UsageError(`--smp ${o.smp}: give 1 to ${o.gic === 2 ? 8 : 123} vCPUs (QEMU virt's GICv${o.gic} limit)`);
  if (!fs.existsSync(o.guest)) throw new UsageError(`guest image ${o.guest} does not exist (build the test guests: make -C tools/qemu/guests)`);
  const timeoutMs = o.timeoutMs ?? 60000;
  if (o.ramMiB !== undefined && (!Number.isInteger(o.ramMiB) || o.ramMiB < 1 || o.ramMiB > 1024)) throw new UsageError(`--ram-mib ${o.ramMiB}: give 1 to 1024 MiB`);
  const id = path.basename(o.guest).replace(/[^A-Za-z0-9._-]/g, '_');
  const job = vmmJob({ gic: o.gic, smp: o.smp, elf: 'guest.elf', timeoutMs, id, ramSize: o.ramMiB === undefined ? undefined : o.ramMiB << 20 });
  const run = o.host.run({ gic: o.gic, job, ops: Math.ceil(timeoutMs / 2), files: [{ name: 'guest.elf', data: fs.readFileSync(o.guest) }] });
  const t = run.output.traces[0];
  if (!t) throw new KvmHostError('the KVM runner answered nothing for the guest run', tail(run.console));
  const texts = vmmTexts(t);
  const ftraceFile = o.keepFtrace === null ? null : (o.keepFtrace ?? defaultFtraceFile(o.out));
  if (ftraceFile && texts.ftrace) writeOutputFile(ftraceFile, ftraceFile.endsWith('.gz') ? gzipSync(texts.ftrace, { level: 9 }) : texts.ftrace, { what: 'ftrace text', inputs: [o.guest] });
  if (t.failure || !texts.ended) {
    const why = t.failure?.message ?? 'the run ended without a system event';
    const kept = ftraceFile && texts.ftrace ? ` (the host's ftrace text is in ${ftraceFile})` : '';
    throw new KvmHostError(`the guest ${o.guest} did not finish on KVM: ${why}${kept}`, texts.console ? `--- guest console (last lines) ---\n${tail(texts.console)}` : '(the guest wrote nothing to its console)');
  }
  const release = o.host.release();
  const imp = importFtrace({
    file: ftraceFile ?? `${id}.ftrace.txt`,
    text: ftraceFile ? undefined : texts.ftrace,
    gic: o.gic,
    map: 'virt',
    cpus: o.smp,
    spis: VIRT_VMM.spis,
    its: false,
    clock: 'global',
    out: o.out,
    command: `gicreplay record kvm --gic ${o.gic} --smp ${o.smp} --guest ${path.basename(o.guest)}${o.blindSpots ? ` --blind-spots ${path.basename(o.blindSpots.file)}` : ''}`,
    blindSpots: o.blindSpots?.lines,
    details: {
      recordedOn: `real KVM, ${o.host.kind} host, Linux ${release ?? 'unknown release'}`,
      vmm: 'gicreplay-kvm runner (tools/kvm/runner.c, vmm mode): QEMU virt layout, in-kernel PSCI, PL011 data register only, the doorbell at 0xb000000 (KVM_IRQ_LINE and device-attribute calls on the guest\'s request, each call in trace_marker), no ITS',
      vmmSteps: 'KVM_CREATE_DEVICE vGIC, NR_IRQS, frame addresses, CTRL_INIT before the first vCPU runs (trace_marker lines)',
      guest: path.basename(o.guest),
      guestEnded: texts.ended,
      captured: 'yes: ftrace text captured on the host, not constructed',
    },
  });
  return { import: imp, console: texts.console, ended: texts.ended, ftraceFile, ftrace: texts.ftrace, hostDescription: o.host.describe(), elapsedUs: t.elapsedUs };
}
