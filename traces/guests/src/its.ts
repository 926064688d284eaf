// ITS guests (GICv3 with KVM's vITS; format 1.2): Linux's ITS bring-up, a PCI device's MSIs
// through MAPD/MAPTI and an INT command, LPI invalidation with GICR_CTLR.IR set (GICR_INVLPIR /
// GICR_INVALLR) and clear (ITS INV / INVALL), EnableLPIs cleared and set again as CES allows, and
// a VMM's save/restore of the ITS tables. The guest's ITS driver is lib/its.ts (after Linux's
// irq-gic-v3-its.c); what KVM does with it is vgic-its.c and vgic-mmio-v3.c.

import { defineGuest, Step } from '../../../engine/guests/api';
import { Vcpu } from '../../../engine/guests/vcpu';
import { BootOrder } from './lib/boot';
import { SPURIOUS, waitRwp, waitUntil } from './lib/gic';
import { cmd, GICR_CTLR_CES, GICR_CTLR_ENABLE_LPIS, GICR_CTLR_IR, GICR_CTLR_RWP, ITS_CMD, ITS_MEM, ItsDriver, LPI_BASE, LPI_PROP_DEFAULT, LPI_PROP_ENABLED, mapd, mapti, sync } from './lib/its';

/** A virtio-pci device's requester ID on QEMU virt's first PCI bus (00:01.0). */
const DEVID = 0x8;

/** The distributor and this vCPU's CPU interface as Linux leaves them (ARE, Group 1, PMR 0xf0). */
function* gicInit(c: Vcpu): Step {
  if (c.id === 0) {
    yield* c.write('GICD_CTLR', 0x12);
    yield* waitRwp(c);
  }
  yield* c.sysWrite('ICC_PMR_EL1', 0xf0);
  yield* c.sysWrite('ICC_IGRPEN1_EL1', 1);
}

/** An IRQ handler that records each LPI it takes (gic_handle_irq: IAR1, EOIR1 with EOImode 0). */
function lpiHandler(c: Vcpu, taken: number[]): void {
  c.onIrq(function* (h) {
    const iar = (yield* h.sysRead('ICC_IAR1_EL1')) & 0xffffffn;
    if (iar === SPURIOUS) return;
    taken.push(Number(iar));
    yield* h.sysWrite('ICC_EOIR1_EL1', iar);
  });
}

/**
 * A one-vCPU guest up to its first mapped LPI: handler, GIC, ITS and LPIs as Linux brings them up,
 * then `lpi` (property byte enabled) mapped to `eventid` of DEVID (an ITT for `bits` EventID bits).
 */
function* upToFirstLpi(c: Vcpu, its: ItsDriver, taken: number[], eventid: number, bits: number, enable: boolean): Step {
  lpiHandler(c, taken);
  yield* gicInit(c);
  yield* its.probe(c);
  yield* its.cpuInit(c);
  yield* its.initCollection(c, 0);
  yield* its.setProp(c, LPI_BASE + eventid, LPI_PROP_DEFAULT | (enable ? LPI_PROP_ENABLED : 0));
  yield* c.assert(yield* its.send(c, mapd(DEVID, bits), mapti(DEVID, eventid, LPI_BASE + eventid, 0), sync(0)), `MAPD + MAPTI event ${eventid} -> LPI ${LPI_BASE + eventid}`);
}

export const lnxItsV3 = defineGuest({
  name: 'lnx-its-v3',
  title: "Linux's ITS bring-up on 2 vCPUs: GITS_TYPER/IIDR, the device and collection tables, the command queue, LPIs on each redistributor, MAPC + INVALL per CPU",
  scenario: 'LNX-ITS: drivers/irqchip/irq-gic-v3-its.c its_probe_one / its_alloc_tables / its_setup_baser / its_enable / its_cpu_init_lpis / its_cpu_init_collection',
  gic: { version: 3, cpus: 2, spis: 64, its: true },
  program() {
    const its = new ItsDriver();
    const boot = new BootOrder();
    return function* (c: Vcpu): Step {
      yield* boot.turn(c);
      yield* gicInit(c);
      if (c.id === 0) {
        yield* its.probe(c);
        yield* c.assertEq(its.typer & 1n, 1, 'GITS_TYPER.Physical: the ITS handles physical LPIs');
        yield* c.assertEq((its.typer >> 19n) & 1n, 0, 'GITS_TYPER.PTA = 0: collections target processor numbers');
        yield* c.assert(((yield* c.read('GITS_CTLR')) & 1n) === 1n, 'the ITS is enabled');
        // Linux's its_lpi_prop init: every LPI at the default priority, in Group 1, disabled (the part our LPIs use).
        yield* c.memWrite(ITS_MEM.prop, Array.from({ length: 64 }, () => LPI_PROP_DEFAULT));
      }
      yield* its.cpuInit(c);
      yield* c.assert(((yield* c.read('GICR_CTLR')) & GICR_CTLR_ENABLE_LPIS) !== 0n, `CPU${c.id}: GICR_CTLR.EnableLPIs`);
      yield* its.initCollection(c, c.id);
      yield* c.assertEq(yield* c.read('GITS_CREADR'), yield* c.read('GITS_CWRITER'), `CPU${c.id}: the command queue is drained`);
      boot.done();
    };
  },
});

export const itsMsiV3 = defineGuest({
  name: 'its-msi-v3',
  title: "A virtio-pci device's two MSIs through MAPD/MAPTI on 2 vCPUs, then INT, CLEAR, MOVI and DISCARD; each LPI acknowledged and ended",
  scenario: 'KUT-ITS-TRIGGER: kvm-unit-tests arm/gic.c test_its_trigger (MAPD, MAPTI, INT, INV, DISCARD) with Linux its_create_device / its_irq_domain_activate / its_irq_compose_msi_msg',
  gic: { version: 3, cpus: 2, spis: 64, its: true },
  program() {
    const its = new ItsDriver();
    const boot = new BootOrder();
    const taken: number[][] = [[], []];
    let phase = 0;
    return function* (c: Vcpu): Step {
      lpiHandler(c, taken[c.id]);
      yield* boot.turn(c);
      yield* gicInit(c);
      if (c.id === 0) yield* its.probe(c);
      yield* its.cpuInit(c);
      yield* its.initCollection(c, c.id);
      boot.done();
      yield* c.unmask();
      if (c.id === 1) {
        // vCPU 1 takes what is routed to it until vCPU 0 is done.
        while (phase < 9) yield* c.delay(2000);
        return;
      }
      yield* boot.all(c);
      // its_create_device: an ITT for 2 events (1 EventID bit); its_irq_domain_activate: MAPTI of
      // each vector to its own CPU's collection, LPIs 8192 and 8193, enabled at priority 0xa0.
      yield* c.assert(yield* its.send(c, mapd(DEVID, 1)), 'MAPD');
      yield* c.assert(yield* its.send(c, mapti(DEVID, 0, LPI_BASE, 0), sync(0)), 'MAPTI event 0 -> LPI 8192 on CPU0');
      yield* c.assert(yield* its.send(c, mapti(DEVID, 1, LPI_BASE + 1, 1), sync(1)), 'MAPTI event 1 -> LPI 8193 on CPU1');
      for (let ev = 0; ev < 2; ev++) {
        yield* its.setProp(c, LPI_BASE + ev, LPI_PROP_DEFAULT | LPI_PROP_ENABLED);
        yield* its.invalidate(c, LPI_BASE + ev, DEVID, ev, ev);
      }
      phase = 1;
      // The device writes GITS_TRANSLATER: QEMU delivers it with KVM_SIGNAL_MSI.
      yield* c.assertEq(yield* c.hostMsi(DEVID, 0), 1, 'KVM_SIGNAL_MSI event 0: delivered');
      yield* c.assertEq(yield* c.hostMsi(DEVID, 1), 1, 'KVM_SIGNAL_MSI event 1: delivered');
      yield* waitUntil(c, () => taken[0].length >= 1 && taken[1].length >= 1, 2000, 50);
      yield* c.assert(taken[0].join() === '8192' && taken[1].join() === '8193', `LPI 8192 taken on CPU0 and 8193 on CPU1 (CPU0: ${taken[0].join()}; CPU1: ${taken[1].join()})`);
      phase = 2;
      // An unmapped event and an unknown device: KVM_SIGNAL_MSI returns 0 (the mapping blocks it).
      yield* c.assertEq(yield* c.hostMsi(DEVID, 5), 0, 'KVM_SIGNAL_MSI to an unmapped EventID returns 0');
      yield* c.assertEq(yield* c.hostMsi(DEVID + 1, 0), 0, 'KVM_SIGNAL_MSI from an unmapped DeviceID returns 0');
      // INT: the ITS makes the LPI pending itself (irq_set_irqchip_state(PENDING)).
      yield* c.assert(yield* its.send(c, cmd(ITS_CMD.INT, { devid: DEVID, eventid: 0 }), sync(0)), 'INT event 0');
      yield* waitUntil(c, () => taken[0].length >= 2, 2000, 50);
      yield* c.assertEq(taken[0].length, 2, 'INT made LPI 8192 pending again: taken a second time');
      phase = 3;
      // CLEAR with interrupts masked: an LPI made pending and then cleared is never taken.
      yield* c.mask();
      yield* c.hostMsi(DEVID, 0);
      yield* c.assert(yield* its.send(c, cmd(ITS_CMD.CLEAR, { devid: DEVID, eventid: 0 }), sync(0)), 'CLEAR event 0');
      yield* c.unmask();
      yield* c.delay(5000);
      yield* c.assertEq(taken[0].length, 2, 'CLEAR removed the pending state: LPI 8192 not taken');
      phase = 4;
      // MOVI: event 1 moves to CPU0's collection; its next MSI is taken here.
      yield* c.assert(yield* its.send(c, cmd(ITS_CMD.MOVI, { devid: DEVID, eventid: 1, icid: 0 }), sync(0)), 'MOVI event 1 -> collection 0');
      yield* c.hostMsi(DEVID, 1);
      yield* waitUntil(c, () => taken[0].length >= 3, 2000, 50);
      yield* c.assert(taken[0][2] === LPI_BASE + 1 && taken[1].length === 1, `after MOVI, LPI 8193 is taken on CPU0 (CPU0: ${taken[0].join()}; CPU1: ${taken[1].join()})`);
      phase = 5;
      // DISCARD: the mapping is gone; the next MSI for the event is blocked (returns 0).
      yield* c.assert(yield* its.send(c, cmd(ITS_CMD.DISCARD, { devid: DEVID, eventid: 1 }), sync(0)), 'DISCARD event 1');
      yield* c.assertEq(yield* c.hostMsi(DEVID, 1), 0, 'KVM_SIGNAL_MSI after DISCARD returns 0');
      // A command KVM refuses (MAPTI of a pINTID below 8192) is dropped, and the queue goes on.
      yield* c.assert(yield* its.send(c, mapti(DEVID, 1, 100, 0), sync(0)), 'the queue moves past a MAPTI KVM refuses (GITS_CREADR.Stalled stays 0)');
      yield* c.assertEq(yield* c.hostMsi(DEVID, 1), 0, 'the refused MAPTI mapped nothing');
      phase = 9;
    };
  },
});

/**
 * LPI invalidation as Linux does it (lpi_update_config): the guest reads GICR_CTLR.IR and uses
 * GICR_INVLPIR / GICR_INVALLR and GICR_SYNCR when it is set (revision 3), ITS INV / INVALL and
 * SYNC when not. Recorded under rev3 (its-inv-ir-v3) and rev2 (its-inv-noir-v3), so the two traces
 * take the two paths; KVM honours GICR_INVLPIR/INVALLR at every revision, so either trace's LPIs
 * behave the same under both policies: only the IR bit the guest read differs.
 */
function invGuest(name: string, policy: 'rev3' | 'rev2', path: 'direct' | 'its'): ReturnType<typeof defineGuest> {
  return defineGuest({
    name,
    title: `LPI invalidation with GICR_CTLR.IR ${path === 'direct' ? 'set: GICR_INVLPIR, GICR_INVALLR, GICR_SYNCR' : 'clear: ITS INV, INVALL and SYNC commands'}; a pending LPI enabled through its property byte, then given PMR's priority (masked) until PMR opens`,
    scenario: `LNX-ITS-INV: drivers/irqchip/irq-gic-v3-its.c lpi_update_config / direct_lpi_inv / its_send_inv (${path === 'direct' ? 'has_direct_lpi from GICR_CTLR.IR' : 'no GICR_CTLR.IR'}), recorded under ${policy}`,
    gic: { version: 3, cpus: 1, spis: 32, its: true },
    policy,
    program() {
      const its = new ItsDriver();
      const taken: number[] = [];
      return function* (c: Vcpu): Step {
        // A disabled LPI (Linux maps it masked): an MSI leaves it pending, not taken.
        yield* upToFirstLpi(c, its, taken, 0, 1, false);
        const ir = ((yield* c.read('GICR_CTLR')) & GICR_CTLR_IR) !== 0n;
        yield* c.assert((ir ? 'direct' : 'its') === path, `GICR_CTLR.IR ${ir ? 'set' : 'clear'}: invalidation ${ir ? 'through the redistributor' : 'through ITS commands'}`);
        yield* c.unmask();
        yield* c.assertEq(yield* c.hostMsi(DEVID, 0), 1, 'KVM_SIGNAL_MSI: the LPI is made pending');
        yield* c.delay(3000);
        yield* c.assertEq(taken.length, 0, 'a disabled LPI is not taken');
        // Unmask it: property byte, then invalidate; the pending LPI is taken.
        yield* its.setProp(c, LPI_BASE, LPI_PROP_DEFAULT | LPI_PROP_ENABLED);
        yield* c.assert((yield* its.invalidate(c, LPI_BASE, DEVID, 0, 0)) === path, `LPI 8192 invalidated ${path === 'direct' ? 'through GICR_INVLPIR' : 'with INV'}`);
        yield* waitUntil(c, () => taken.length >= 1, 1000, 20);
        yield* c.assert(taken.join() === `${LPI_BASE}`, 'after the invalidation the pending LPI 8192 is taken');
        // Priority 0xf0 is masked by PMR 0xf0 (a priority must be strictly higher): the property byte
        // takes effect at the invalidation of all the collection's LPIs.
        yield* its.setProp(c, LPI_BASE, 0xf0 | 0x2 | LPI_PROP_ENABLED);
        if (path === 'direct') {
          yield* c.write('GICR_INVALLR', 0n);
          for (let i = 0; i < 100 && ((yield* c.read('GICR_SYNCR')) & 1n) !== 0n; i++);
        } else {
          yield* c.assert(yield* its.send(c, cmd(ITS_CMD.INVALL, { icid: 0 }), sync(0)), 'INVALL of collection 0');
        }
        yield* c.hostMsi(DEVID, 0);
        yield* c.delay(3000);
        yield* c.assertEq(taken.length, 1, 'at priority 0xf0 (not above PMR 0xf0) the LPI stays pending');
        yield* c.sysWrite('ICC_PMR_EL1', 0xf8);
        yield* waitUntil(c, () => taken.length >= 2, 1000, 20);
        yield* c.assertEq(taken.length, 2, 'with PMR 0xf8 the LPI is taken');
        yield* c.mask();
      };
    },
  });
}

export const itsInvIrV3 = invGuest('its-inv-ir-v3', 'rev3', 'direct');
export const itsInvNoirV3 = invGuest('its-inv-noir-v3', 'rev2', 'its');

export const itsCesV3 = defineGuest({
  name: 'its-ces-v3',
  title: 'EnableLPIs cleared and set again (GICR_CTLR.CES): RWP polled, MSIs refused while LPIs are off, pending state re-read from the (empty) pending table on re-enabling',
  scenario: "LNX-ITS-CES: drivers/irqchip/irq-gic-v3-its.c redist_disable_lpis (a kexec'd kernel finding EnableLPIs set) and its_cpu_init_lpis; KVM vgic_mmio_write_v3r_ctlr / vgic_flush_pending_lpis",
  gic: { version: 3, cpus: 1, spis: 32, its: true },
  program() {
    const its = new ItsDriver();
    const taken: number[] = [];
    return function* (c: Vcpu): Step {
      yield* upToFirstLpi(c, its, taken, 0, 1, true);
      // The old kernel leaves an LPI pending (interrupts masked), then the new one boots.
      yield* c.assertEq(yield* c.hostMsi(DEVID, 0), 1, 'an MSI before the "kexec" is delivered');
      yield* c.log('kexec: the new kernel finds EnableLPIs set');
      const ctlr = yield* c.read('GICR_CTLR');
      yield* c.assert((ctlr & GICR_CTLR_ENABLE_LPIS) !== 0n, 'EnableLPIs is set');
      const ces = (ctlr & GICR_CTLR_CES) !== 0n;
      yield* c.log(`GICR_CTLR.CES ${ces ? 'set: EnableLPIs can be cleared' : 'clear: clearing EnableLPIs is IMPLEMENTATION DEFINED'}`);
      yield* c.write('GICR_CTLR', ctlr & ~GICR_CTLR_ENABLE_LPIS & 0xffffffffn);
      let rwp = true;
      for (let i = 0; i < 100 && rwp; i++) rwp = ((yield* c.read('GICR_CTLR')) & GICR_CTLR_RWP) !== 0n;
      yield* c.assert(!rwp, 'GICR_CTLR.RWP clears');
      yield* c.assertEq((yield* c.read('GICR_CTLR')) & GICR_CTLR_ENABLE_LPIS, 0, 'EnableLPIs reads 0 after the clear (KVM allows it)');
      // KVM_SIGNAL_MSI to a vCPU whose LPIs are disabled: -EBUSY (vgic_its_resolve_lpi).
      yield* c.assertEq(yield* c.hostMsi(DEVID, 0), -16, 'an MSI while LPIs are disabled is refused with -EBUSY');
      // PROPBASER/PENDBASER may be rewritten only while LPIs are off; then LPIs go back on.
      yield* its.cpuInit(c);
      yield* c.assert(((yield* c.read('GICR_CTLR')) & GICR_CTLR_ENABLE_LPIS) !== 0n, 'EnableLPIs set again');
      yield* c.unmask();
      // KVM re-reads every LPI's pending state from the pending table when EnableLPIs goes back to 1
      // (its_sync_lpi_pending_table): nothing saved it there, so the LPI pending before the clear is gone.
      yield* c.delay(5000);
      yield* c.assertEq(taken.length, 0, 'the LPI pending before the clear is lost: its pending-table bit (0) is its state after re-enabling');
      yield* c.assertEq(yield* c.hostMsi(DEVID, 0), 1, 'MSIs are delivered again');
      yield* waitUntil(c, () => taken.length >= 1, 1000, 20);
      yield* c.assert(taken.join() === `${LPI_BASE}`, 'the new MSI is taken as LPI 8192');
      yield* c.mask();
    };
  },
});

export const vmmItsRestoreV3 = defineGuest({
  name: 'vmm-its-restore-v3',
  title: 'The VMM saves the ITS tables (KVM_DEV_ARM_ITS_SAVE_TABLES, SAVE_PENDING_TABLES), resets the ITS, restores registers and tables and the MSI mapping still works',
  scenario: "own VMM guest after QEMU hw/intc/arm_gicv3_its_kvm.c kvm_arm_its_pre_save / kvm_arm_its_post_load and kvm-unit-tests arm/gic.c its-migration; KVM vgic-its.c vgic_its_save_tables_v0 / vgic_its_restore_tables_v0 (ABI revision 0)",
  gic: { version: 3, cpus: 1, spis: 32, its: true },
  program() {
    const its = new ItsDriver();
    const taken: number[] = [];
    return function* (c: Vcpu): Step {
      yield* upToFirstLpi(c, its, taken, 3, 2, true);
      // --- the source VMM saves (kvm_arm_its_pre_save) ---
      yield* c.log('VMM: saving the ITS (kvm_arm_its_pre_save)');
      yield* c.assertEq(yield* c.hostItsCtrl(1), 0, 'KVM_DEV_ARM_ITS_SAVE_TABLES');
      yield* c.assertEq(yield* c.hostSavePendingTables(), 0, 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES');
      const regs: Record<string, bigint> = {};
      for (const r of ['GITS_CTLR', 'GITS_IIDR', 'GITS_CBASER', 'GITS_CREADR', 'GITS_CWRITER', 'GITS_BASER0', 'GITS_BASER1']) regs[r] = yield* c.hostRead(r);
      yield* c.assertEq(regs.GITS_IIDR & 0xf0000n, 0, 'GITS_IIDR: ABI revision 0');
      // --- the destination: the same VM, its ITS reset, then restored (kvm_arm_its_post_load) ---
      yield* c.assertEq(yield* c.hostItsCtrl(4), 0, 'KVM_DEV_ARM_ITS_CTRL_RESET');
      yield* c.assertEq(yield* c.hostMsi(DEVID, 3), -16, 'after the reset the ITS is disabled: the MSI is refused (-EBUSY)');
      yield* c.hostWrite('GITS_IIDR', regs.GITS_IIDR);
      yield* c.hostWrite('GITS_CBASER', regs.GITS_CBASER);
      yield* c.hostWrite('GITS_CREADR', regs.GITS_CREADR);
      yield* c.hostWrite('GITS_CWRITER', regs.GITS_CWRITER);
      yield* c.hostWrite('GITS_BASER0', regs.GITS_BASER0);
      yield* c.hostWrite('GITS_BASER1', regs.GITS_BASER1);
      yield* c.assertEq(yield* c.hostItsCtrl(2), 0, 'KVM_DEV_ARM_ITS_RESTORE_TABLES');
      yield* c.hostWrite('GITS_CTLR', regs.GITS_CTLR);
      yield* c.assertEq(yield* c.hostRead('GITS_CREADR'), regs.GITS_CREADR, 'GITS_CREADR restored');
      // --- the guest resumes ---
      yield* c.log('guest: resumed');
      yield* c.unmask();
      yield* c.assertEq(yield* c.hostMsi(DEVID, 3), 1, 'the restored mapping delivers the MSI');
      yield* waitUntil(c, () => taken.length >= 1, 1000, 20);
      yield* c.assert(taken.join() === `${LPI_BASE + 3}`, 'LPI 8195 taken after the restore');
      yield* c.assert(yield* its.send(c, cmd(ITS_CMD.INT, { devid: DEVID, eventid: 3 }), sync(0)), 'the restored command queue takes new commands');
      yield* waitUntil(c, () => taken.length >= 2, 1000, 20);
      yield* c.assertEq(taken.length, 2, 'INT after the restore is taken');
      yield* c.mask();
    };
  },
});
