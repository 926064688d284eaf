// The per-interrupt state machine and delivery rules of the shared core, driven directly
// (KVM vgic.c / vgic-mmio.c semantics, spec vgic-v3.md §5 and §8).

import { NO_DEPS } from '../../model/deps';
import { getPolicy } from '../../policy/policy';
import { ACK_G0, ACK_G1, CpuInterface, FLAVOUR_V3, INTID_SPURIOUS } from './cpuif';
import * as R from './irq-regs';
import { VgicCore } from './vgic';

function setup(cpus = 2, spis = 64) {
  const core = new VgicCore(3, cpus, spis, getPolicy('rev3'), NO_DEPS);
  core.resetNative(1);
  const cif = new CpuInterface(core, FLAVOUR_V3);
  core.setDistEnabled(true, true);
  for (let c = 0; c < cpus; c++) {
    cif.writePmr(c, 0xf0);
    cif.state[c].grpEn0 = 1;
    cif.state[c].grpEn1 = 1;
  }
  const spi = (intid: number) => core.irqs.slot(0, intid);
  const pendingBit = (intid: number) => (R.readPending(core, 0, intid, 1, 'guest') & 1) === 1;
  const activeBit = (intid: number) => (R.readActive(core, 0, intid, 1) & 1) === 1;
  const enable = (intid: number, prio = 0xa0) => {
    R.writePriority(core, 0, intid, 1, prio);
    R.writeSetEnable(core, 0, intid, 1, 1, 'guest');
    core.settle();
  };
  return { core, cif, spi, pendingBit, activeBit, enable };
}

describe('edge-triggered SPI', () => {
  it('pends on a rising line, is acknowledged (pending -> active), a new edge while active gives active+pending, EOI deactivates', () => {
    const { core, cif, pendingBit, activeBit, enable } = setup();
    enable(40);
    expect(core.injectLine(40, null, 1, 'device')).toBeUndefined();
    core.settle();
    expect(pendingBit(40)).toBe(true);
    expect(cif.irqOutput(0)).toBe(1);
    expect(cif.acknowledge(0, ACK_G1)).toBe(40);
    expect([pendingBit(40), activeBit(40)]).toEqual([false, true]);
    expect(cif.irqOutput(0)).toBe(0);
    // Every level=1 call is an edge: line_level is not tracked for edge interrupts.
    core.injectLine(40, null, 1, 'device');
    core.settle();
    expect([pendingBit(40), activeBit(40)]).toEqual([true, true]);
    expect(cif.acknowledge(0, ACK_G1)).toBe(INTID_SPURIOUS); // an active interrupt is not a candidate
    expect(cif.endOfInterrupt(0, 40, ACK_G1)).toBeUndefined();
    expect([pendingBit(40), activeBit(40)]).toEqual([true, false]);
    expect(cif.acknowledge(0, ACK_G1)).toBe(40);
  });

  it('lowering an edge line changes nothing', () => {
    const { core, pendingBit, enable } = setup();
    enable(41);
    core.injectLine(41, null, 1, 'device');
    core.injectLine(41, null, 0, 'device');
    core.settle();
    expect(pendingBit(41)).toBe(true);
  });
});

describe('level-sensitive SPI', () => {
  function levelSetup() {
    const t = setup();
    R.writeConfig(t.core, 0, 32, 16, 0); // SPIs 32-47 level
    t.enable(42);
    return t;
  }

  it('pending follows the line; ICPENDR clears only the latch; ISPENDR latches even with the line low', () => {
    const { core, pendingBit } = levelSetup();
    core.injectLine(42, null, 1, 'device');
    core.settle();
    expect(pendingBit(42)).toBe(true);
    R.writePending(core, 0, 42, 1, 1, 'guest', false, 0);
    core.settle();
    expect(pendingBit(42)).toBe(true); // line still high
    core.injectLine(42, null, 0, 'device');
    core.settle();
    expect(pendingBit(42)).toBe(false); // line low, no latch
    R.writePending(core, 0, 42, 1, 1, 'guest', true, 0);
    core.settle();
    expect(pendingBit(42)).toBe(true); // latch
    R.writePending(core, 0, 42, 1, 1, 'guest', false, 0);
    core.settle();
    expect(pendingBit(42)).toBe(false);
  });

  it('stays pending while active with the line high; EOI with the line still high re-delivers; lowered line does not', () => {
    const { core, cif, pendingBit, activeBit } = levelSetup();
    core.injectLine(42, null, 1, 'device');
    expect(cif.acknowledge(0, ACK_G1)).toBe(42);
    expect([pendingBit(42), activeBit(42)]).toEqual([true, true]);
    expect(cif.irqOutput(0)).toBe(0);
    cif.endOfInterrupt(0, 42, ACK_G1);
    expect([pendingBit(42), activeBit(42)]).toEqual([true, false]);
    expect(cif.irqOutput(0)).toBe(1);
    expect(cif.acknowledge(0, ACK_G1)).toBe(42);
    core.injectLine(42, null, 0, 'device');
    core.settle();
    cif.endOfInterrupt(0, 42, ACK_G1);
    expect([pendingBit(42), activeBit(42)]).toEqual([false, false]);
    expect(cif.irqOutput(0)).toBe(0);
  });

  it('a software latch on a level interrupt is cleared when it becomes inactive', () => {
    const { core, cif, pendingBit } = levelSetup();
    R.writePending(core, 0, 42, 1, 1, 'guest', true, 0);
    core.settle();
    expect(cif.acknowledge(0, ACK_G1)).toBe(42);
    expect(pendingBit(42)).toBe(true); // latch kept until inactive
    cif.endOfInterrupt(0, 42, ACK_G1);
    expect(pendingBit(42)).toBe(false);
  });

  it('repeating the same level is a no-op (vgic_validate_injection)', () => {
    const { core, cif } = levelSetup();
    core.injectLine(42, null, 1, 'device');
    cif.acknowledge(0, ACK_G1);
    cif.endOfInterrupt(0, 42, ACK_G1);
    core.injectLine(42, null, 1, 'device');
    core.settle();
    expect(R.readActive(core, 0, 42, 1)).toBe(0);
  });
});

describe('line ownership and validity', () => {
  it('a device cannot inject a line the timer owns; SGIs and missing INTIDs are refused', () => {
    const { core } = setup();
    expect(core.injectLine(27, 0, 1, 'timer')).toBeUndefined();
    expect(core.injectLine(27, 0, 0, 'device')).toMatch(/owned by the in-kernel timer/);
    expect(core.injectLine(3, 0, 1, 'device')).toMatch(/SGI/);
    expect(core.injectLine(96, null, 1, 'device')).toMatch(/does not exist/);
    expect(core.injectLine(20, null, 1, 'device')).toMatch(/needs a vCPU/);
  });

  it('a timer-owned (HW-mapped) level PPI reads its line in ISPENDR, ignoring the latch', () => {
    const { core } = setup();
    core.injectLine(27, 1, 1, 'timer');
    expect(R.readPending(core, 1, 27, 1, 'guest')).toBe(1);
    core.injectLine(27, 1, 0, 'timer');
    R.writePending(core, 1, 27, 1, 1, 'guest', true, 1);
    expect(R.readPending(core, 1, 27, 1, 'guest')).toBe(0);
    expect(R.readPending(core, 1, 27, 1, 'user')).toBe(1); // userspace on v3 reads the latch
  });
});

describe('delivery: oracle, distributor enable, routing, tie-break', () => {
  it('among equal priorities the interrupt queued first is delivered first (KVM ap_list order), not the lowest INTID', () => {
    const { core, cif, enable } = setup();
    enable(50, 0x80);
    enable(40, 0x80);
    core.injectLine(50, null, 1, 'device');
    core.injectLine(40, null, 1, 'device');
    core.settle();
    expect(cif.acknowledge(0, ACK_G1)).toBe(50);
    expect(cif.acknowledge(0, ACK_G1)).toBe(INTID_SPURIOUS); // same group priority: no preemption
  });

  it('a lower priority value wins regardless of queue order', () => {
    const { core, cif, enable } = setup();
    enable(50, 0x80);
    enable(40, 0x40);
    core.injectLine(50, null, 1, 'device');
    core.injectLine(40, null, 1, 'device');
    expect(cif.acknowledge(0, ACK_G1)).toBe(40);
  });

  it('an interrupt pended while the distributor is disabled stays pending and is not queued by the enable (vgic_kick_vcpus)', () => {
    const { core, cif, enable, pendingBit } = setup();
    enable(44);
    core.setDistEnabled(false, true);
    core.injectLine(44, null, 1, 'device');
    core.settle();
    expect(pendingBit(44)).toBe(true);
    expect(cif.irqOutput(0)).toBe(0);
    core.setDistEnabled(true, true);
    core.settle();
    expect(cif.irqOutput(0)).toBe(0);
    // Anything that re-queues it (here an ISENABLER write) makes it deliverable.
    R.writeSetEnable(core, 0, 44, 1, 1, 'guest');
    core.settle();
    expect(cif.irqOutput(0)).toBe(1);
  });

  it('an SPI routed to no vCPU stays pending and undelivered; re-routing moves it', () => {
    const { core, cif, enable, spi } = setup();
    enable(45);
    core.irqs.target[spi(45)] = -1;
    core.injectLine(45, null, 1, 'device');
    core.settle();
    expect([cif.irqOutput(0), cif.irqOutput(1)]).toEqual([0, 0]);
    core.irqs.target[spi(45)] = 1;
    core.queue(spi(45));
    core.settle();
    expect([cif.irqOutput(0), cif.irqOutput(1)]).toEqual([0, 1]);
    expect(cif.acknowledge(1, ACK_G1)).toBe(45);
  });

  it('ICENABLER keeps the pending state; the interrupt is no longer delivered', () => {
    const { core, cif, enable, pendingBit } = setup();
    enable(46);
    core.injectLine(46, null, 1, 'device');
    R.writeClearEnable(core, 0, 46, 1, 1);
    core.settle();
    expect(pendingBit(46)).toBe(true);
    expect(cif.irqOutput(0)).toBe(0);
    expect(cif.hppir(0, ACK_G1)).toBe(INTID_SPURIOUS);
  });
});

describe('CPU interface: groups, PMR, binary point, running priority', () => {
  it('Group 0 goes to IAR0 and FIQ, Group 1 to IAR1 and IRQ; the other IAR returns 1023 even with its own group pending', () => {
    const { core, cif, enable, spi } = setup();
    enable(33, 0x40);
    enable(34, 0x80);
    R.writeGroup(core, 0, 33, 1, 0, 'guest', 'IGROUPR');
    core.injectLine(33, null, 1, 'device');
    core.injectLine(34, null, 1, 'device');
    core.settle();
    expect([cif.fiqOutput(0), cif.irqOutput(0)]).toEqual([1, 0]);
    expect(cif.hppir(0, ACK_G1)).toBe(INTID_SPURIOUS);
    expect(cif.hppir(0, ACK_G0)).toBe(33);
    expect(cif.acknowledge(0, ACK_G1)).toBe(INTID_SPURIOUS); // HPPI is Group 0
    expect(cif.acknowledge(0, ACK_G0)).toBe(33);
    void spi;
  });

  it('IGRPEN0=0 hides Group 0: the Group 1 interrupt becomes the HPPI', () => {
    const { core, cif, enable } = setup();
    enable(33, 0x40);
    enable(34, 0x80);
    R.writeGroup(core, 0, 33, 1, 0, 'guest', 'IGROUPR');
    core.injectLine(33, null, 1, 'device');
    core.injectLine(34, null, 1, 'device');
    cif.state[0].grpEn0 = 0;
    cif.markDirty(0, 'igrpen0');
    expect([cif.fiqOutput(0), cif.irqOutput(0)]).toEqual([0, 1]);
    expect(cif.acknowledge(0, ACK_G1)).toBe(34);
  });

  it('PMR masks priorities at or above it; HPPIR ignores PMR', () => {
    const { core, cif, enable } = setup();
    enable(35, 0xa0);
    core.injectLine(35, null, 1, 'device');
    cif.writePmr(0, 0xa0);
    expect(cif.irqOutput(0)).toBe(0);
    expect(cif.hppir(0, ACK_G1)).toBe(35);
    expect(cif.acknowledge(0, ACK_G1)).toBe(INTID_SPURIOUS);
    cif.writePmr(0, 0xa8);
    expect(cif.irqOutput(0)).toBe(1);
    expect(cif.writePmr(0, 0xff)).toBe(0xf8); // 5 implemented priority bits
  });

  it('preemption compares group priorities: BPR1 coarsens Group 1 so a higher priority no longer preempts', () => {
    const { core, cif, enable } = setup();
    enable(36, 0x40);
    enable(37, 0x20);
    core.injectLine(36, null, 1, 'device');
    expect(cif.acknowledge(0, ACK_G1)).toBe(36);
    expect(cif.runningPriority(0)).toBe(0x40);
    core.injectLine(37, null, 1, 'device');
    core.settle();
    expect(cif.irqOutput(0)).toBe(1); // 0x20 < 0x40 with BPR1=3 (mask 0xf8)
    cif.writeBpr1(0, 7); // mask 0x80: 0x20 and 0x40 share group priority 0
    expect(cif.irqOutput(0)).toBe(0);
    expect(cif.acknowledge(0, ACK_G1)).toBe(INTID_SPURIOUS);
    cif.writeBpr1(0, 3);
    expect(cif.acknowledge(0, ACK_G1)).toBe(37);
    expect(cif.runningPriority(0)).toBe(0x20);
    expect(cif.endOfInterrupt(0, 37, ACK_G1)).toBeUndefined();
    expect(cif.runningPriority(0)).toBe(0x40);
  });

  it('CBPR=1 makes Group 1 use BPR0; BPR writes below the minimum store the minimum; BPR1 writes are ignored with CBPR', () => {
    const { cif } = setup();
    expect(cif.writeBpr0(0, 0)).toBe(2);
    expect(cif.writeBpr1(0, 1)).toBe(3);
    cif.state[0].cbpr = 1;
    expect(cif.readBpr1(0)).toBe(3);
    expect(cif.writeBpr1(0, 6)).toBe(-1);
    cif.writeBpr0(0, 7);
    expect(cif.readBpr1(0)).toBe(7);
    expect(cif.groupMask(0, 1)).toBe(0x00);
  });
});

describe('EOImode', () => {
  it('EOImode=0: EOIR drops priority and deactivates; DIR is ignored', () => {
    const { core, cif, enable, activeBit } = setup();
    enable(38);
    core.injectLine(38, null, 1, 'device');
    cif.acknowledge(0, ACK_G1);
    expect(cif.deactivateInterrupt(0, 38)).toMatch(/EOImode=0/);
    expect(activeBit(38)).toBe(true);
    cif.endOfInterrupt(0, 38, ACK_G1);
    expect([activeBit(38), cif.runningPriority(0)]).toEqual([false, 0xff]);
  });

  it('EOImode=1: EOIR only drops priority (another interrupt can then be taken), DIR deactivates', () => {
    const { core, cif, enable, activeBit } = setup();
    cif.state[0].eoiMode = 1;
    enable(38, 0x80);
    enable(39, 0x80);
    core.injectLine(38, null, 1, 'device');
    core.injectLine(39, null, 1, 'device');
    expect(cif.acknowledge(0, ACK_G1)).toBe(38);
    expect(cif.acknowledge(0, ACK_G1)).toBe(INTID_SPURIOUS);
    expect(cif.endOfInterrupt(0, 38, ACK_G1)).toBeUndefined();
    expect([activeBit(38), cif.runningPriority(0)]).toEqual([true, 0xff]);
    expect(cif.acknowledge(0, ACK_G1)).toBe(39); // running priority dropped
    expect(cif.deactivateInterrupt(0, 38)).toBeUndefined();
    expect(activeBit(38)).toBe(false);
  });

  it('an EOI with nothing active is ignored; special INTIDs are ignored', () => {
    const { cif } = setup();
    expect(cif.endOfInterrupt(0, 40, ACK_G1)).toMatch(/no active priority/);
    expect(cif.endOfInterrupt(0, 1023, ACK_G1)).toMatch(/special/);
  });
});

describe('whole-register reads of the one-bit fields (irq-regs.ts reads four slots per word)', () => {
  // Every combination of latch, line, trigger mode and HW mapping in each of the 32 slots a
  // register covers, in a different lane of its word each round, so a lane read out of place or
  // one field's word taken for another's shows. The expected bits are KVM's __read_pending and
  // the plain field reads, written out per INTID.
  const FIELDS = 5;
  function states(round: number, intid: number): number {
    return ((intid * 7 + round * 13) ^ (round * 5)) & ((1 << FIELDS) - 1);
  }

  for (const gic of [3, 2] as const) {
    it(`GICv${gic}: ISPENDR (guest and userspace), ISENABLER, ISACTIVER and IGROUPR, 32- and 8-bit`, () => {
      const core = new VgicCore(gic, 2, 64, getPolicy('rev3'), NO_DEPS);
      core.resetNative(gic === 3 ? 1 : 0);
      const s = core.irqs;
      for (let round = 0; round < 8; round++) {
        for (const [cpu, first] of [[0, 0], [1, 0], [0, 32], [0, 64]]) {
          const want = { guest: 0, user: 0, enabled: 0, active: 0, group: 0 };
          for (let i = 0; i < 32; i++) {
            const slot = s.slot(cpu, first + i);
            const x = states(round, first + i + 32 * cpu);
            const [latch, line, levelMode, hw, other] = [x & 1, (x >> 1) & 1, (x >> 2) & 1, (x >> 3) & 1, (x >> 4) & 1];
            s.latch[slot] = latch;
            s.level[slot] = line;
            s.config[slot] = levelMode;
            s.hw[slot] = hw;
            s.enabled[slot] = other ^ latch;
            s.active[slot] = other ^ line;
            s.group[slot] = other ^ hw;
            const pending = latch === 1 || (levelMode === 1 && line === 1);
            // A guest reading a HW-mapped level interrupt gets the line; GICv3 userspace the latch alone.
            const guest = hw && levelMode ? line === 1 : pending;
            const user = gic === 3 ? latch === 1 : pending;
            want.guest |= (guest ? 1 : 0) << i;
            want.user |= (user ? 1 : 0) << i;
            want.enabled |= (other ^ latch) << i;
            want.active |= (other ^ line) << i;
            want.group |= (other ^ hw) << i;
          }
          const got = {
            guest: R.readPending(core, cpu, first, 32, 'guest'),
            user: R.readPending(core, cpu, first, 32, 'user'),
            enabled: R.readEnable(core, cpu, first, 32),
            active: R.readActive(core, cpu, first, 32),
            group: R.readGroup(core, cpu, first, 32),
          };
          const u32 = (v: number) => v >>> 0;
          expect(got).toEqual({ guest: u32(want.guest), user: u32(want.user), enabled: u32(want.enabled), active: u32(want.active), group: u32(want.group) });
          for (let b = 0; b < 4; b++) {
            const byte = (v: number) => (v >>> (8 * b)) & 0xff;
            expect(R.readPending(core, cpu, first + 8 * b, 8, 'guest')).toBe(byte(want.guest));
            expect(R.readPending(core, cpu, first + 8 * b, 8, 'user')).toBe(byte(want.user));
            expect(R.readEnable(core, cpu, first + 8 * b, 8)).toBe(byte(want.enabled));
          }
        }
      }
    });
  }

  it('a register past nr_irqs reads its existing INTIDs only', () => {
    const core = new VgicCore(3, 1, 32, getPolicy('rev3'), NO_DEPS);
    core.resetNative(1);
    for (let i = 32; i < 64; i++) core.irqs.latch[core.irqs.slot(0, i)] = 1;
    expect(R.readPending(core, 0, 32, 32, 'guest')).toBe(0xffffffff);
    expect(R.readPending(core, 0, 64, 32, 'guest')).toBe(0);
  });
});
