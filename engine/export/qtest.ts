// A reproducer plan of an MMIO-only trace as a QEMU qtest (tests/qtest conventions: libqtest's
// qtest_init with `-machine virt,gic-version=N`, qtest_read/write at the trace's frame addresses,
// g_assert_cmphex per read, g_test_message naming the access when it fails) and CPU 0's IRQ and
// FIQ inputs after each access (qtest_irq_intercept_in on the CPU, qtest_get_irq). The reads are held
// to policy P's golden, except where QEMU's GIC is known to answer otherwise for every read of a
// register (engine/fidelity/qemu-rules.ts `pin`): those are checked as the rule says, and the
// step names the rule. The operation table is also what `gicreplay run-qtest` reads and performs
// through the qtest text protocol against the installed QEMU (qtest-run.ts).

import { InputError } from '../errors';
import { v2Banked } from '../fidelity/qemu';
import { qemuPinFor } from '../fidelity/qemu-rules';
import { RegisterNamer } from '../inspect/registers';
import { EventKind, Frame, TraceEvent, TraceHeader } from '../trace/events';
import { hex } from '../util/hex';
import { cString, commentText } from './c';
import { ReproPlan } from './plan';

/** QEMU's virt machine (hw/arm/virt.c memmap): where its GIC frames are. */
export const VIRT_GIC = { dist: 0x08000000n, cpuif: 0x08010000n, redist: 0x080a0000n, redistStride: 0x20000n } as const;

/**
 * Where a qtest sees the GIC's outputs: CPU 0's GPIO inputs (target/arm/cpu.c: 0 IRQ, 1 FIQ, 2
 * VIRQ, 3 VFIQ), which hw/arm/virt.c wires the GIC's per-CPU outputs to. The GIC's own outputs
 * are sysbus IRQs, a named GPIO ("sysbus-irq"), and QEMU 7.2's irq_intercept_out skips named
 * GPIOs; irq_intercept_in on the CPU replaces its input handlers (passing each level on), so the
 * GIC's qemu_set_irq reaches qtest. virt creates the CPUs first: CPU n is /machine/unattached/device[n]
 * (qom-list over QMP on QEMU 7.2). One device per qtest, so only CPU 0's lines.
 */
export const QTEST_CPU0 = '/machine/unattached/device[0]';
export const QTEST_IRQ = 0;
export const QTEST_FIQ = 1;

export interface QtestStep {
  write: boolean;
  size: 1 | 2 | 4 | 8;
  addr: bigint;
  /** The value written, or the value expected on the bits of `keep`. */
  value: bigint;
  /** Read: the bits compared (0: not checked). */
  keep: bigint;
  /** CPU 0's IRQ and FIQ inputs after the access (the golden's state of vCPU 0 after the event), or -1: not checked. */
  irq: number;
  fiq: number;
  /** "event 1: cpu0 read GICD_IGROUPR1 (0x8000084/4)", with the rule or the skip reason after it. */
  what: string;
}

export interface QtestPlan {
  gic: 2 | 3;
  cpus: number;
  steps: QtestStep[];
  checks: number;
}

const KIND_NAME: Partial<Record<EventKind, string>> = {
  [EventKind.SysregRead]: 'a system-register read',
  [EventKind.SysregWrite]: 'a system-register write',
  [EventKind.UserRead]: 'a VMM device-attribute read',
  [EventKind.UserWrite]: 'a VMM device-attribute write',
  [EventKind.Line]: 'an interrupt line change',
};

/**
 * GICv2 accesses whose meaning depends on the CPU (the CPU interface, banked distributor words,
 * GICD_SGIR's source): QEMU's qtest accesses are always CPU 0's (arm_gic.c gic_get_current_cpu).
 */
function cpuDependent(frame: Frame, offset: number): boolean {
  return frame === Frame.CpuIf || (frame === Frame.Dist && (v2Banked(offset) || offset === 0xf00));
}

function refuse(file: string, i: number, what: string, expected: string): never {
  throw new InputError(`--format qtest exports MMIO-only traces: ${what}`, { file, eventIndex: i }, expected);
}

/** An InputError naming the first event (or frame) a qtest of QEMU's virt machine cannot perform. */
export function checkQtestable(file: string, header: TraceHeader, events: readonly TraceEvent[]): void {
  const gic = header.gic;
  const frames = gic.frames;
  if (frames.dist !== VIRT_GIC.dist) throw new InputError(`the distributor is at ${hex(frames.dist)}, QEMU's virt machine has it at ${hex(VIRT_GIC.dist)}`, { file }, 'a trace recorded with the virt machine\'s GIC frames');
  if (gic.version === 2 && frames.cpuif !== VIRT_GIC.cpuif) throw new InputError(`the CPU interface is at ${hex(frames.cpuif ?? 0n)}, QEMU's virt machine has it at ${hex(VIRT_GIC.cpuif)}`, { file }, 'a trace recorded with the virt machine\'s GIC frames');
  if (gic.version === 3) {
    (frames.redist ?? []).forEach((b, c) => {
      const want = VIRT_GIC.redist + BigInt(c) * VIRT_GIC.redistStride;
      if (b !== want) throw new InputError(`vCPU ${c}'s redistributor is at ${hex(b)}, QEMU's virt machine has it at ${hex(want)}`, { file }, 'a trace recorded with the virt machine\'s GIC frames');
    });
  }
  events.forEach((ev, i) => {
    if (ev.kind === EventKind.Marker) return;
    if (ev.kind !== EventKind.MmioRead && ev.kind !== EventKind.MmioWrite) refuse(file, i, `event ${i} is ${KIND_NAME[ev.kind] ?? `a ${EventKind[ev.kind]} event`}`, 'guest MMIO reads and writes only (and markers)');
    else if (ev.frame === Frame.Its) refuse(file, i, `event ${i} is an ITS access (its tables live in guest memory the qtest does not set up)`, 'distributor, redistributor and CPU interface accesses');
    else if (gic.version === 2 && ev.cpu !== 0 && cpuDependent(ev.frame, ev.offset)) refuse(file, i, `event ${i} is cpu${ev.cpu}'s access to a register banked per CPU, and QEMU's qtest accesses are CPU 0's (arm_gic.c gic_get_current_cpu)`, 'GICv2 CPU interface, banked and GICD_SGIR accesses by cpu0 only');
  });
}

/** The trace's accesses and checks for QEMU (checkQtestable first). */
export function qtestPlan(file: string, header: TraceHeader, events: readonly TraceEvent[], plan: ReproPlan): QtestPlan {
  checkQtestable(file, header, events);
  const gic = header.gic;
  const namer = RegisterNamer.for(gic);
  const steps: QtestStep[] = [];
  let checks = 0;
  // Words written so far (reset-value pins hold only until then).
  const written = new Set<bigint>();
  // vCPU 0's IRQ/FIQ after each event, where the reproducer observes it (its own access or a probe).
  const cpu0 = new Map<number, { irq: number; fiq: number }>();
  for (const s of plan.steps) if (s.isr && s.cpu === 0 && !s.isr.skip) cpu0.set(s.event, s.isr.want);
  const lines = (s: (typeof plan.steps)[number]): { irq: number; fiq: number } => {
    const w = cpu0.get(s.event);
    if (w) checks++;
    return w ?? { irq: -1, fiq: -1 };
  };
  for (const s of plan.steps) {
    if (s.op !== 'mr' && s.op !== 'mw') continue;
    const size = s.size as QtestStep['size'];
    if (s.op === 'mw') {
      for (let b = 0n; b < BigInt(size); b++) written.add((s.addr + b) & ~3n);
      steps.push({ write: true, size, addr: s.addr, value: s.value, keep: 0n, ...lines(s), what: s.what });
      continue;
    }
    const all = size === 8 ? (1n << 64n) - 1n : (1n << BigInt(8 * size)) - 1n;
    let value = s.read?.want ?? 0n;
    let keep = s.read && !s.read.skip ? all : 0n;
    let what = s.read?.skip ? `${s.what}: not checked (${s.read.skip})` : s.what;
    const pinned = keep ? qemuPinFor(namer.name(events[s.event]) ?? '', gic.version, written.has(s.addr & ~3n)) : null;
    if (pinned) {
      if ('qemu' in pinned.pin) value = pinned.pin.qemu;
      else keep &= ~pinned.pin.differs;
      what = `${s.what}: QEMU's GIC ${'qemu' in pinned.pin ? `answers ${hex(pinned.pin.qemu)}` : `differs in bits ${hex(pinned.pin.differs)}`} where KVM answers ${hex(s.read!.want)} (rule ${pinned.rule.id})`;
    }
    if (keep) checks++;
    steps.push({ write: false, size, addr: s.addr, value: value & keep, keep, ...lines(s), what });
  }
  return { gic: gic.version, cpus: gic.cpus.length, steps, checks };
}

const ACCESS: Record<QtestStep['size'], string> = { 1: 'b', 2: 'w', 4: 'l', 8: 'q' };
const c64 = (v: bigint): string => `0x${v.toString(16)}ULL`;

/** The QEMU command line the test starts (libqtest adds -qtest, -accel qtest and -display none). */
export function qtestArgs(q: QtestPlan): string {
  return `-machine virt,gic-version=${q.gic} -smp ${q.cpus}`;
}

export function renderQtest(q: QtestPlan, plan: ReproPlan, name: string): string {
  const slug = name.replace(/\.gtr$/, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const out = [
    '/*',
    ` * QTest of QEMU's GICv${q.gic} (virt machine) replaying ${commentText(name)}: every read, and CPU 0's IRQ and`,
    ' * FIQ after every access where the golden records vCPU 0\'s state (qtest_get_irq), checked against',
    ` * ${commentText(plan.source)} (policy ${commentText(plan.policy.id)}),`,
    " * except where QEMU's GIC answers a register otherwise than KVM's vGIC for every read (the step",
    ' * names the rule of gicreplay\'s engine/fidelity/qemu-rules.ts; only the bits of .keep are compared).',
    ` * Generated by gicreplay (gicreplay-qtest gic=${q.gic} cpus=${q.cpus}); goes in QEMU's tests/qtest/ (add it to`,
    " * qtests_aarch64 in tests/qtest/meson.build); `gicreplay run-qtest FILE` runs the same table against an",
    ' * installed qemu-system-aarch64 through the qtest protocol.',
    ' *',
    ' * SPDX-License-Identifier: GPL-2.0-or-later',
    ' */',
    '',
    '#include "qemu/osdep.h"',
    '#include "libqtest.h"',
    '',
    `#define QEMU_ARGS ${cString(qtestArgs(q))}`,
    `#define CHECKS ${q.checks}`,
    '',
    'typedef struct GicAccess {',
    '    bool write;',
    '    unsigned size;',
    '    uint64_t addr;',
    '    uint64_t value; /* written, or expected on the bits of keep */',
    '    uint64_t keep;  /* bits compared; 0: not checked */',
    '    int irq, fiq;   /* CPU 0\'s IRQ and FIQ inputs afterwards; -1: not checked */',
    '    const char *what;',
    '} GicAccess;',
    '',
    'static const GicAccess accesses[] = {',
    ...q.steps.map((s) => `    { ${s.write ? 'true' : 'false'}, ${s.size}, ${c64(s.addr)}, ${c64(s.value)}, ${c64(s.keep)}, ${s.irq}, ${s.fiq}, ${cString(s.what)} },`),
    '};',
    '',
    'static uint64_t gic_read(QTestState *qts, const GicAccess *a)',
    '{',
    '    switch (a->size) {',
    ...([1, 2, 4, 8] as const).map((n) => `    case ${n}:\n        return qtest_read${ACCESS[n]}(qts, a->addr);`),
    '    default:',
    '        g_assert_not_reached();',
    '    }',
    '}',
    '',
    'static void gic_write(QTestState *qts, const GicAccess *a)',
    '{',
    '    switch (a->size) {',
    ...([1, 2, 4, 8] as const).map((n) => `    case ${n}:\n        qtest_write${ACCESS[n]}(qts, a->addr, a->value);\n        return;`),
    '    default:',
    '        g_assert_not_reached();',
    '    }',
    '}',
    '',
    'static void test_trace(void)',
    '{',
    '    QTestState *qts = qtest_init(QEMU_ARGS);',
    '    unsigned checked = 0;',
    '',
    '    /*',
    "     * The GIC's outputs reach qtest through CPU 0's inputs (0 IRQ, 1 FIQ): the GIC's own are",
    "     * sysbus IRQs, named GPIOs, which irq_intercept_out does not intercept (QEMU 7.2).",
    '     */',
    `    qtest_irq_intercept_in(qts, ${cString(QTEST_CPU0)});`,
    '    for (size_t i = 0; i < G_N_ELEMENTS(accesses); i++) {',
    '        const GicAccess *a = &accesses[i];',
    '        uint64_t v;',
    '',
    '        if (a->write) {',
    '            gic_write(qts, a);',
    '        } else {',
    '            v = gic_read(qts, a);',
    '            if (a->keep) {',
    '                if ((v & a->keep) != a->value) {',
    '                    g_test_message("%s: QEMU answered 0x%" PRIx64 ", expected 0x%" PRIx64',
    '                                   " on the bits 0x%" PRIx64, a->what, v, a->value, a->keep);',
    '                }',
    '                g_assert_cmphex(v & a->keep, ==, a->value);',
    '                checked++;',
    '            }',
    '        }',
    '        if (a->irq >= 0) {',
    `            int irq = qtest_get_irq(qts, ${QTEST_IRQ}), fiq = qtest_get_irq(qts, ${QTEST_FIQ});`,
    '',
    '            if (irq != a->irq || fiq != a->fiq) {',
    '                g_test_message("%s: CPU 0\'s IRQ %d FIQ %d, expected IRQ %d FIQ %d",',
    '                               a->what, irq, fiq, a->irq, a->fiq);',
    '            }',
    '            g_assert_cmpint(irq, ==, a->irq);',
    '            g_assert_cmpint(fiq, ==, a->fiq);',
    '            checked++;',
    '        }',
    '    }',
    '    g_assert_cmpuint(checked, ==, CHECKS);',
    '    qtest_quit(qts);',
    '}',
    '',
    'int main(int argc, char **argv)',
    '{',
    '    g_test_init(&argc, &argv, NULL);',
    `    qtest_add_func(${cString(`/arm/gic/gicreplay/${slug}`)}, test_trace);`,
    '    return g_test_run();',
    '}',
    '',
  ];
  return out.join('\n');
}
