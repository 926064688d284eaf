// A reproducer plan as a standalone C program for an arm64 Linux host with /dev/kvm.

import { hex } from '../util/hex';
import { C_PRELUDE, C_RUNTIME, C_STEP_TYPES } from './c-runtime';
import { ReproPlan, Step } from './plan';

const OPS: Record<Step['op'], string> = { mr: 'MR', mw: 'MW', sr: 'SR', sw: 'SW', probe: 'PROBE', timer: 'TIMER', ur: 'UR', uw: 'UW', ctrl: 'CTRL', irq: 'IRQ_LINE', iidr: 'IIDR', gm: 'MEMW', msi: 'MSI', ir: 'ITS_UR', iw: 'ITS_UW', ic: 'ITS_CTRL' };
/** Host-side operations: no vCPU. */
const HOST_OPS: ReadonlySet<Step['op']> = new Set(['ur', 'uw', 'ctrl', 'irq', 'iidr', 'gm', 'msi', 'ir', 'iw', 'ic']);

/** A C string literal (ASCII; anything else escaped). */
export function cString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20 && c < 0x7f) out += ch === '?' ? '\\?' : ch;
    else if (c < 0x80) out += `\\x${c.toString(16).padStart(2, '0')}""`;
    else for (const b of Buffer.from(ch, 'utf8')) out += `\\x${b.toString(16).padStart(2, '0')}""`;
  }
  return `${out}"`;
}

export const u64 = (v: bigint): string => `0x${v.toString(16)}ULL`;
/** Text for a C comment: no comment terminator inside. */
export const commentText = (s: string): string => s.replace(/\*\//g, '* /');

/** One operation of the list, as a C initializer (shared by the C and kvm-selftest formats). */
export function stepLine(s: Step): string {
  const f: string[] = [`.op = ${OPS[s.op]}`];
  if (!HOST_OPS.has(s.op)) f.push(`.cpu = ${s.cpu}`);
  if (s.op === 'mr' || s.op === 'mw' || s.op === 'gm' || s.op === 'msi') f.push(`.addr = ${u64(s.addr)}`);
  if (s.op === 'mr' || s.op === 'mw' || s.op === 'gm') f.push(`.size = ${s.size}`);
  if (s.op === 'mw' || s.op === 'sw' || s.op === 'uw' || s.op === 'iw' || s.op === 'msi') f.push(`.value = ${u64(s.value)}`);
  if (s.op === 'sr' || s.op === 'sw' || s.op === 'ur' || s.op === 'uw' || s.op === 'timer' || s.op === 'iidr' || s.op === 'msi') f.push(`.enc = ${hex(s.enc)}`);
  if (s.op === 'ur' || s.op === 'uw' || s.op === 'ctrl' || s.op === 'irq' || s.op === 'ir' || s.op === 'iw' || s.op === 'ic' || s.op === 'msi') f.push(`.attr = ${u64(s.attr)}`);
  if (s.op === 'irq' || s.op === 'timer') f.push(`.level = ${s.level}`);
  if (s.op === 'gm') f.push(`.data = ${cBytes(s.data!)}`);
  f.push(`.what = ${cString(s.what)}`);
  if (s.read) f.push(`.check_value = 1, .want_value = ${u64(s.read.want)}${s.read.skip ? `, .skip_value = ${cString(s.read.skip)}` : ''}`);
  if (s.errno) f.push(`.check_errno = 1, .want_errno = ${s.errno.want}${s.errno.skip ? `, .skip_errno = ${cString(s.errno.skip)}` : ''}`);
  if (s.ret) f.push(`.check_ret = 1, .want_ret = ${s.ret.want}`);
  if (s.isr) f.push(`.check_isr = 1, .want_irq = ${s.isr.want.irq}, .want_fiq = ${s.isr.want.fiq}${s.isr.skip ? `, .skip_isr = ${cString(s.isr.skip)}` : ''}`);
  return `  {${f.join(', ')}},`;
}

/** Bytes as a C string literal of hex escapes (its length is the step's size, so a NUL is data). */
export const cBytes = (b: Uint8Array): string => `"${Array.from(b, (x) => `\\x${x.toString(16).padStart(2, '0')}`).join('')}"`;

/**
 * The program's data, shared by the C and kvm-selftest formats: the step types, the VM's constants
 * (`extra` defines after POLICY) and the operation list.
 */
export function planData(p: ReproPlan, extra: readonly string[]): string[] {
  const vm = p.vm;
  return [
    C_STEP_TYPES,
    `#define GIC_VERSION ${vm.gic}`,
    `#define NCPUS ${vm.cpus}`,
    `#define NR_IRQS ${vm.nrIrqs}`,
    `#define DIST ${u64(vm.dist)}`,
    `#define CPUIF ${u64(vm.cpuif ?? 0n)}`,
    `#define ITS_BASE ${u64(vm.its ?? 0n)}`,
    `#define INIT_NOW ${vm.initNow ? 1 : 0}`,
    `#define POLICY ${cString(p.policy.id)}`,
    ...extra,
    `#define CHECKS ${p.checks}`,
    '',
    `static const uint64_t mpidrs[NCPUS] = {${vm.mpidrs.map(u64).join(', ')}};`,
    `static const struct region redist[] = {${vm.redist.length ? vm.redist.map((r) => `{${u64(r.base)}, ${r.count}}`).join(', ') : '{0, 0}'}};`,
    `#define NMEMS ${vm.mems.length}`,
    `static const struct memslot mems[] = {${vm.mems.length ? vm.mems.map((m) => `{${u64(m.base)}, ${u64(m.size)}}`).join(', ') : '{0, 0}'}};`,
    '',
    'static const struct step steps[] = {',
    ...p.steps.map(stepLine),
    '};',
  ];
}

export function renderC(p: ReproPlan, traceName: string): string {
  const h = p.header;
  const vm = p.vm;
  const title = `${traceName} under ${p.policy.id}: ${p.steps.length} operations, ${p.checks} checks`;
  const lines: string[] = [
    '/*',
    ` * gicreplay-repro gic=${vm.gic} policy=${p.policy.id}`,
    ` * A reproducer exported by \`gicreplay export ${commentText(traceName)} --policy ${p.policy.id} --format c\`.`,
    ' *',
    ` * It creates a VM with ${vm.cpus} vCPU${vm.cpus === 1 ? '' : 's'} and an in-kernel vGICv${vm.gic} (${vm.nrIrqs} interrupts), puts it in`,
    ` * implementation revision ${p.policy.data.revision} (policy ${p.policy.id}), performs the trace's VMM accesses, line changes and guest`,
    ' * accesses (guest code: a loop over an operation list, one KVM_RUN per run of one vCPU\'s accesses),',
    ` * and checks every read value, errno and IRQ/FIQ state against ${commentText(p.source)}.`,
    ' * One TAP line per check; exit 0 when all pass, 1 at the first mismatch, 2 when KVM cannot run it.',
    ' *',
    ' *   aarch64-linux-gnu-gcc -static -O2 -o repro repro.c && ./repro      (on an arm64 host with /dev/kvm)',
    ' *',
    ` * Trace: ${commentText(h.provenance.kind)} via ${commentText(h.provenance.tool)}`,
    ...Object.keys(h.provenance.details)
      .sort()
      .map((k) => ` *   ${k}: ${commentText(h.provenance.details[k])}`),
    ' */',
    C_PRELUDE,
    ...planData(p, [`#define TITLE ${cString(title)}`]),
    C_RUNTIME,
  ];
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}
