// OT-EDK2-V3: EDK2 ArmPkg/Drivers/ArmGic/GicV3/ArmGicV3Dxe.c, GicV3DxeInitialize() and
// GicV3ExitBootServicesEvent() (../shared/spec/test-guest-scenarios.md §6, "OT-EDK2-V3"): the
// UEFI firmware phase of most arm64 KVM VMs. Every INTID disabled and set to priority 0x80 (a
// 32-bit read-modify-write per INTID), Group 1 for all (DS = 1), IROUTER to the boot CPU, BPR1 7,
// PMR 0xFF, IGRPEN1, distributor enable; the timer driver's vtimer ticks (ArmArchTimerDxe); at
// ExitBootServices every source disabled, pending interrupts drained, interface and distributor
// off. Boot CPU only. Group: [G~].

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { bitReg, VTIMER_PPI, waitUntil } from './lib/gic';

const ARE = 0x10n;
const DS = 0x40n;
const TICK_TICKS = 62500n;

function* disableSource(c: Vcpu, intid: number): Step {
  const r = bitReg(c, 'ICENABLER', intid);
  yield* c.write(r.name, r.bit);
}

export const edk2V3 = defineGuest({
  name: 'edk2-v3',
  title: 'EDK2 ArmGicV3Dxe: firmware GIC init, timer ticks, ExitBootServices teardown',
  scenario: 'OT-EDK2-V3: EDK2 ArmPkg/Drivers/ArmGic/GicV3/ArmGicV3Dxe.c GicV3DxeInitialize / GicV3ExitBootServicesEvent',
  gic: { version: 3, cpus: 1, spis: 256 },
  program() {
    let ticks = 0;
    return function* (c: Vcpu): Step {
      const typer = yield* c.read('GICD_TYPER');
      const max = 32 * (Number(typer & 0x1fn) + 1);
      const ctlr = yield* c.read('GICD_CTLR');
      if ((ctlr & ARE) === 0n) yield* c.write('GICD_CTLR', ctlr | ARE);
      for (let i = 0; i < max; i++) {
        yield* disableSource(c, i);
        const name = i < 32 ? `GICR_IPRIORITYR${i >> 2}` : `GICD_IPRIORITYR${i >> 2}`;
        const shift = BigInt((i & 3) * 8);
        const v = yield* c.read(name);
        yield* c.write(name, (v & ~(0xffn << shift) & 0xffffffffn) | (0x80n << shift));
      }
      const ds = ((yield* c.read('GICD_CTLR')) & DS) !== 0n;
      yield* c.assert(ds, 'GICD_CTLR.DS reads 1 (single security state under KVM)');
      if (ds) {
        yield* c.write('GICR_IGROUPR0', 0xffffffff, { rd: 0 });
        for (let i = 32; i < max; i += 32) yield* c.write(`GICD_IGROUPR${i / 32}`, 0xffffffff);
      }
      const aff = c.mpidr & 0xff00ffffffn;
      for (let i = 32; i < max; i++) yield* c.write(`GICD_IROUTER${i}`, aff);
      // CPU interface.
      const sre = yield* c.sysRead('ICC_SRE_EL1');
      yield* c.sysWrite('ICC_SRE_EL1', sre | 1n);
      yield* c.sysWrite('ICC_BPR1_EL1', 7);
      yield* c.sysWrite('ICC_PMR_EL1', 0xff);
      yield* c.sysWrite('ICC_IGRPEN1_EL1', 1);
      const d = yield* c.read('GICD_CTLR');
      yield* c.write('GICD_CTLR', d | 2n);
      // ArmArchTimerDxe: the vtimer PPI drives the UEFI tick.
      c.onIrq(function* (h) {
        const iar = yield* h.sysRead('ICC_IAR1_EL1');
        const intid = Number(iar & 0xffffffn);
        if (intid >= max) return; // spurious
        if (intid === VTIMER_PPI) {
          ticks++;
          yield* h.sysWrite('CNTV_CTL_EL0', 2); // disable + mask until reprogrammed
          if (ticks < 3) {
            yield* h.sysWrite('CNTV_TVAL_EL0', TICK_TICKS);
            yield* h.sysWrite('CNTV_CTL_EL0', 1);
          }
        }
        yield* h.sysWrite('ICC_EOIR1_EL1', iar);
      });
      const r = bitReg(c, 'ISENABLER', VTIMER_PPI);
      yield* c.write(r.name, r.bit);
      yield* c.sysWrite('CNTV_TVAL_EL0', TICK_TICKS);
      yield* c.sysWrite('CNTV_CTL_EL0', 1);
      yield* c.unmask();
      yield* waitUntil(c, () => ticks >= 3, 250000, 100);
      yield* c.assertEq(ticks, 3, 'three UEFI timer ticks');
      // GicV3ExitBootServicesEvent()
      yield* c.mask();
      for (let i = 0; i < max; i++) yield* disableSource(c, i);
      for (let i = 0; i < 1024; i++) {
        const iar = yield* c.sysRead('ICC_IAR1_EL1');
        if (Number(iar & 0xffffffn) >= max) break;
        yield* c.sysWrite('ICC_EOIR1_EL1', iar);
      }
      yield* c.sysWrite('ICC_IGRPEN1_EL1', 0);
      yield* c.write('GICD_CTLR', 0);
      yield* c.log('ExitBootServices: GIC disabled');
    };
  },
});
