// Which of real KVM's answers depend on when a host timer fired, and so cannot be compared with
// the model's (or with another run's). KVM's generic timers run on the host's counter, which has
// nothing to do with the trace's cycles: a guest that programs its own timer (CNTx_CVAL/TVAL/CTL
// writes in the trace) gets its timer interrupt when the host's counter says so. The trace's
// CNT* accesses are still replayed; this module marks what follows from them.
//
// The rule, per vCPU, from the first event at which the guest has its timer enabled and unmasked
// to the end of the trace (the interrupt flow can diverge from then on, and an open-loop replay
// never converges again):
// - that vCPU's IRQ/FIQ outputs;
// - its reads of interrupt-flow registers: ICC_IAR*, HPPIR*, RPR, AP*R* / GICC_IAR, AIAR, HPPIR,
//   AHPPIR, RPR, APRn, and the pending and active bits of its private interrupts (GICR SGI frame
//   or GICv2's banked GICD registers, guest and userspace alike);
// - once any vCPU is affected, SPI pending/active reads (which SPI was acknowledged can change).
// Always: counter and TVAL reads (host time), CNTFRQ_EL0 (the host's frequency, not the
// header's); CTL reads once a compare value was written (ISTATUS); CVAL reads after a TVAL write.
// Traces whose timer PPIs arrive as line events (QEMU imports) are driven deterministically
// through the timer (job.ts) and are unaffected.

import { RegisterNamer } from '../../inspect/registers';
import { timerRegByEnc, TimerRegKind } from '../../timer/registers';
import { EventKind, Frame, TraceEvent, TraceHeader, UserGroup } from '../../trace/events';
import { Comparability } from './records';

const FLOW_CPUIF = /^(ICC_(IAR|HPPIR|RPR|AP[01]R|NMIAR)|GICC_(IAR|AIAR|HPPIR|AHPPIR|RPR|APR|NSAPR))/;
const PEND_ACTIVE = /^GIC[DR]_(I[SC](PEND|ACTIVE)R|[SC]PENDSGIR)(\d*)/;

export function timerComparability(header: TraceHeader, events: readonly TraceEvent[]): Comparability {
  const n = header.gic.cpus.length;
  const namer = RegisterNamer.for(header.gic);
  /** First event from which vCPU c is affected (Infinity: never). */
  const from = new Array<number>(n).fill(Infinity);
  let anyFrom = Infinity;
  const reads = new Map<number, string>();
  const cvalWritten = new Set<string>();
  const tvalWritten = new Set<string>();

  events.forEach((ev, i) => {
    if (ev.kind === EventKind.SysregWrite) {
      const t = timerRegByEnc(ev.enc);
      if (!t?.timer) return;
      const key = `${ev.cpu}:${t.timer}`;
      if (t.kind === TimerRegKind.Cval) cvalWritten.add(key);
      if (t.kind === TimerRegKind.Tval) {
        cvalWritten.add(key);
        tvalWritten.add(key);
      }
      if (t.kind === TimerRegKind.Ctl && (ev.value & 1n) === 1n && (ev.value & 2n) === 0n && from[ev.cpu] === Infinity) {
        from[ev.cpu] = i;
        anyFrom = Math.min(anyFrom, i);
      }
      return;
    }
    if (ev.kind === EventKind.SysregRead) {
      const t = timerRegByEnc(ev.enc);
      if (!t) return;
      const key = `${ev.cpu}:${t.timer}`;
      if (t.kind === TimerRegKind.Count || t.kind === TimerRegKind.Tval) reads.set(i, `${t.name} follows the host's counter, not the trace's cycles`);
      else if (t.kind === TimerRegKind.Freq) reads.set(i, "CNTFRQ_EL0 is the host's counter frequency, not the trace header's");
      else if (t.kind === TimerRegKind.Ctl && cvalWritten.has(key)) reads.set(i, `${t.name}.ISTATUS compares the host's counter with the compare value`);
      else if (t.kind === TimerRegKind.Cval && tvalWritten.has(key)) reads.set(i, `${t.name} was set from a TVAL write relative to the host's counter`);
    }
  });

  const why = (c: number): string => `vCPU ${c} runs its own timer from event ${from[c]} on: KVM raises it on the host's time`;
  const affectedAt = (c: number, i: number): boolean => c >= 0 && c < n && i >= from[c];
  return {
    read(i) {
      const fixed = reads.get(i);
      if (fixed || i < anyFrom) return fixed;
      const ev = events[i];
      let reg: string | undefined;
      let cpu: number;
      if (ev.kind === EventKind.SysregRead) {
        reg = namer.name(ev);
        cpu = ev.cpu;
      } else if (ev.kind === EventKind.MmioRead) {
        reg = namer.name(ev);
        cpu = ev.frame === Frame.RedistRd || ev.frame === Frame.RedistSgi ? ev.index : (ev.cpu ?? 0);
      } else if (ev.kind === EventKind.UserRead) {
        reg = namer.name(ev);
        cpu = ev.group === UserGroup.DistRegs && header.gic.version === 3 ? 0 : (ev.cpu ?? 0);
      } else return undefined;
      if (!reg) return undefined;
      if (FLOW_CPUIF.test(reg)) return affectedAt(cpu, i) ? why(cpu) : undefined;
      const m = PEND_ACTIVE.exec(reg);
      if (!m) return undefined;
      const priv = reg.startsWith('GICR_') || m[1].endsWith('SGIR') || m[3] === '0';
      if (priv) return affectedAt(cpu, i) ? why(cpu) : undefined;
      const first = from.findIndex((f) => f === anyFrom);
      return `an SPI's pending or active state can depend on when vCPU ${first}'s timer fired (from event ${anyFrom} on)`;
    },
    output(i, c) {
      return affectedAt(c, i) ? why(c) : undefined;
    },
  };
}

/**
 * What real KVM's answers cannot be compared on. Only the timer rule: the runner replays format
 * 1.2's ITS events (guest memory into memslots, KVM_SIGNAL_MSI, the ITS device's attributes), so
 * the real ITS sees every command, table and MSI the model does.
 */
export function kvmComparability(header: TraceHeader, events: readonly TraceEvent[]): Comparability {
  return timerComparability(header, events);
}
