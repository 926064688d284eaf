// LNX-V3: a Linux GICv3 guest booting on 2 vCPUs, drivers/irqchip/irq-gic-v3.c as
// ../shared/spec/test-guest-scenarios.md §5 reads it (@fe2017ba, before the 2024 priority
// rework): gic_init_bases (PIDR2, TYPER, IIDR, TYPER2, gic_update_rdist_properties with the
// GICR_CTLR.IR probe), gic_prio_init / gic_has_group0, gic_dist_init, gic_cpu_init and
// gic_cpu_sys_reg_init on each CPU, gic_smp_init (SGIs 0-7 as IPIs), the arch timer's vtimer PPI,
// then the first IPIs (gic_ipi_send_mask) and timer ticks (gic_handle_irq, EOImode 0 inside a
// KVM guest). No ITS. Group: [G~]; [IIDR] through GICD_IIDR and GICR_CTLR.IR.

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { BootOrder } from './lib/boot';
import { compressedAffinity, sendSgiV3, VTIMER_PPI, waitRwp, waitUntil } from './lib/gic';

const TICK_TICKS = 62500n; // 1 ms at 62.5 MHz (HZ=1000)
const TICKS_PER_CPU = 3;
const IPI_RESCHEDULE = 0;
const IPI_CALL_FUNC = 1;

function* hasGroup0(c: Vcpu): Step<boolean> {
  const ctlr = yield* c.sysRead('ICC_CTLR_EL1');
  const pribits = Number((ctlr >> 8n) & 7n) + 1;
  const old = yield* c.sysRead('ICC_PMR_EL1');
  yield* c.sysWrite('ICC_PMR_EL1', 1 << (8 - pribits));
  const v = yield* c.sysRead('ICC_PMR_EL1');
  yield* c.sysWrite('ICC_PMR_EL1', old);
  return v !== 0n;
}

function* sysRegEnable(c: Vcpu): Step {
  const sre = yield* c.sysRead('ICC_SRE_EL1');
  if ((sre & 1n) === 0n) {
    yield* c.sysWrite('ICC_SRE_EL1', sre | 1n);
    yield* c.sysRead('ICC_SRE_EL1');
  }
}

function* distInit(c: Vcpu, spis: number): Step {
  yield* c.write('GICD_CTLR', 0);
  yield* waitRwp(c);
  const lines = 32 + spis;
  for (let i = 32; i < lines; i += 32) yield* c.write(`GICD_IGROUPR${i / 32}`, 0xffffffff);
  // gic_dist_config(): level-triggered SPIs, default priority, all inactive and disabled.
  for (let i = 32; i < lines; i += 16) yield* c.write(`GICD_ICFGR${i / 16}`, 0);
  for (let i = 32; i < lines; i += 4) yield* c.write(`GICD_IPRIORITYR${i / 4}`, 0xa0a0a0a0);
  for (let i = 32; i < lines; i += 32) {
    yield* c.write(`GICD_ICACTIVER${i / 32}`, 0xffffffff);
    yield* c.write(`GICD_ICENABLER${i / 32}`, 0xffffffff);
  }
  yield* waitRwp(c);
  yield* c.write('GICD_CTLR', 0x13);
  yield* waitRwp(c);
  const affinity = compressedAffinity(c.mpidr) & 0xffffffn;
  for (let i = 32; i < lines; i++) yield* c.write(`GICD_IROUTER${i}`, affinity);
}

function* cpuInit(c: Vcpu, group0: boolean): Step {
  // Find this CPU's redistributor.
  const want = compressedAffinity(c.mpidr);
  let rd = -1;
  for (let i = 0; i < c.cpuCount && rd < 0; i++) {
    const typer = yield* c.read('GICR_TYPER', { rd: i });
    if (typer >> 32n === want) rd = i;
    else if ((typer & 0x10n) !== 0n) break;
  }
  yield* c.assert(rd === c.id, `CPU${c.id}: found redistributor ${rd}`);
  // gic_enable_redist(): wake it up.
  const waker = yield* c.read('GICR_WAKER');
  yield* c.write('GICR_WAKER', waker & ~2n & 0xffffffffn);
  let asleep = true;
  for (let i = 0; i < 1000 && asleep; i++) asleep = ((yield* c.read('GICR_WAKER')) & 4n) !== 0n;
  yield* c.assert(!asleep, `CPU${c.id}: redistributor awake`);
  yield* c.sysRead('ICC_CTLR_EL1');
  yield* c.write('GICR_IGROUPR0', 0xffffffff);
  // gic_cpu_config()
  yield* c.write('GICR_ICACTIVER0', 0xffffffff);
  yield* c.write('GICR_ICENABLER0', 0xffffffff);
  for (let i = 0; i < 8; i++) yield* c.write(`GICR_IPRIORITYR${i}`, 0xa0a0a0a0);
  yield* waitRwp(c, true);
  // gic_cpu_sys_reg_init()
  yield* c.sysRead('ICC_CTLR_EL1');
  yield* hasGroup0(c);
  yield* c.sysWrite('ICC_PMR_EL1', 0xf0);
  yield* c.sysWrite('ICC_BPR1_EL1', 0);
  yield* c.sysWrite('ICC_CTLR_EL1', 0);
  if (group0) yield* c.sysWrite('ICC_AP0R0_EL1', 0);
  yield* c.sysWrite('ICC_AP1R0_EL1', 0);
  yield* c.sysWrite('ICC_IGRPEN1_EL1', 1);
  yield* c.sysRead('ICC_CTLR_EL1');
}

export const lnxV3 = defineGuest({
  name: 'lnx-v3',
  title: 'Linux GICv3 guest boot on 2 vCPUs up to the first IPIs and timer ticks',
  scenario: 'LNX-V3: drivers/irqchip/irq-gic-v3.c gic_init_bases / gic_dist_init / gic_cpu_init / gic_cpu_sys_reg_init / gic_ipi_send_mask / gic_handle_irq',
  gic: { version: 3, cpus: 2, spis: 256 },
  program() {
    const boot = new BootOrder();
    const ticks = [0, 0];
    const ipis: number[][] = [[], []];
    let group0 = false;
    return function* (c: Vcpu): Step {
      yield* boot.turn(c);
      if (c.id === 0) {
        const pidr2 = yield* c.read('GICD_PIDR2');
        const rev = Number((pidr2 >> 4n) & 0xfn);
        yield* c.assert(rev === 3 || rev === 4, `GICD_PIDR2.ArchRev is 3 or 4 (got ${rev})`);
        const typer = yield* c.read('GICD_TYPER');
        const spis = Math.min(32 * (Number(typer & 0x1fn) + 1), 1020) - 32;
        const iidr = yield* c.read('GICD_IIDR');
        yield* c.read('GICD_TYPER2');
        yield* c.log(`GICv3: ${spis} SPIs implemented; GICD_IIDR 0x${iidr.toString(16)}`);
        // gic_update_rdist_properties()
        yield* c.read('GICR_PIDR2', { rd: 0 });
        let directLpi = true;
        for (let rd = 0; rd < c.cpuCount; rd++) {
          yield* c.read('GICR_TYPER', { rd });
          const ctlr = yield* c.read('GICR_CTLR', { rd });
          directLpi = directLpi && (ctlr & 4n) !== 0n;
        }
        yield* c.log(`GICv3: using ${directLpi ? 'GICR_INVLPIR/SYNCR' : 'ITS INV/SYNC commands'} for LPI invalidation`);
        yield* sysRegEnable(c);
        group0 = yield* hasGroup0(c);
        yield* c.read('GICD_CTLR');
        yield* distInit(c, spis);
      } else {
        yield* sysRegEnable(c);
      }
      yield* cpuInit(c, group0);
      c.onIrq(function* (h) {
        // gic_handle_irq(), EOImode 0
        const intid = Number((yield* h.sysRead('ICC_IAR1_EL1')) & 0xffffffn);
        if (intid >= 1020) return;
        if (intid === VTIMER_PPI) {
          // arch_timer_handler_virt(): mask, then the clockevent reprograms (or stops) the tick.
          const ctl = yield* h.sysRead('CNTV_CTL_EL0');
          if ((ctl & 4n) !== 0n) {
            yield* h.sysWrite('CNTV_CTL_EL0', ctl | 2n);
            ticks[h.id]++;
            if (ticks[h.id] < TICKS_PER_CPU) {
              yield* h.sysWrite('CNTV_CVAL_EL0', (yield* h.sysRead('CNTVCT_EL0')) + TICK_TICKS);
              yield* h.sysWrite('CNTV_CTL_EL0', 1);
            }
          }
        } else if (intid < 16) ipis[h.id].push(intid);
        yield* h.sysWrite('ICC_EOIR1_EL1', intid);
      });
      // gic_smp_init(): the IPIs are per-CPU interrupts each CPU enables for itself.
      for (let i = 0; i < 8; i++) yield* c.write('GICR_ISENABLER0', 1 << i);
      // arch_timer_starting_cpu(): vtimer PPI is level (ICFGR read only), then enabled.
      yield* c.read('GICR_ICFGR1');
      yield* c.write('GICR_ISENABLER0', 1 << VTIMER_PPI);
      yield* c.unmask();
      boot.done();
      yield* boot.all(c);
      if (c.id === 0) {
        yield* c.log('smp: Brought up 1 node, 2 CPUs');
        yield* sendSgiV3(c, IPI_RESCHEDULE, [1]);
        yield* sendSgiV3(c, IPI_CALL_FUNC, [1]);
      }
      yield* waitUntil(c, () => ipis[c.id].length >= 2 || c.id === 0, 5000, 100);
      if (c.id === 1) yield* sendSgiV3(c, IPI_CALL_FUNC, [0]);
      // Start the tick: CVAL = now + tick, CTL = ENABLE.
      yield* c.sysWrite('CNTV_CVAL_EL0', (yield* c.sysRead('CNTVCT_EL0')) + TICK_TICKS);
      yield* c.sysWrite('CNTV_CTL_EL0', 1);
      yield* waitUntil(c, () => ticks[c.id] >= TICKS_PER_CPU, 250000, 100);
      yield* c.assertEq(ticks[c.id], TICKS_PER_CPU, `CPU${c.id}: ${TICKS_PER_CPU} timer ticks`);
      const wantIpis = c.id === 0 ? [IPI_CALL_FUNC] : [IPI_RESCHEDULE, IPI_CALL_FUNC];
      yield* c.assert(ipis[c.id].join(',') === wantIpis.join(','), `CPU${c.id}: IPIs ${wantIpis.join(',')} received in order (got ${ipis[c.id].join(',')})`);
      yield* c.idle();
    };
  },
});
