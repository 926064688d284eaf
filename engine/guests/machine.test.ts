// The guest machinery against a tiny fake GIC: scheduling order, the cost model, exception entry,
// WFI/busy-wait wake-ups, device lines, assertion failures and bad guest code.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getPolicy } from '../policy/policy';
import { ReplayRecord } from '../replay/records';
import { replayEvents } from '../replay/replay';
import { EventKind, Frame, TraceEvent } from '../trace/events';
import { defineGuest, GuestDefinition, VcpuProgram } from './api';
import { DEFAULT_COSTS } from './costs';
import { recordGuest, writeGuestTrace } from './recorder';
import { GuestError } from './site';
import { FakeGic, FakeTimer } from './testing/fake-gic';
import { sendSgiV3 } from '../../traces/guests/src/lib/gic';

const fake = { modelFactory: (gic: ConstructorParameters<typeof FakeGic>[0]) => new FakeGic(gic), timerFactory: (h: { gic: { cpus: unknown[] } }) => new FakeTimer(h.gic.cpus.length) };

function guest(cpus: number, program: () => VcpuProgram, name = 'test-guest'): GuestDefinition {
  return defineGuest({ name, title: 't', scenario: 'unit test', gic: { version: 3, cpus, spis: 32 }, program });
}

function rec(def: GuestDefinition) {
  return recordGuest(def, { ...fake, policy: 'rev3' });
}

const MMIO = DEFAULT_COSTS.perAccess + DEFAULT_COSTS.mmioTrapped;
const SYS = DEFAULT_COSTS.perAccess + DEFAULT_COSTS.sysregDirect;
const SYS_TRAP = DEFAULT_COSTS.perAccess + DEFAULT_COSTS.sysregTrapped;

const brief = (evs: TraceEvent[]) => evs.map((e) => `${e.kind === EventKind.Marker ? e.text : EventKind[e.kind]}@${'cpu' in e ? e.cpu : '-'}:${e.cycle}`);

describe('scheduler and cost model', () => {
  test('vCPUs interleave by lowest cycle, ties broken by vCPU index', () => {
    const r = rec(
      guest(2, () =>
        function* (c) {
          if (c.id === 1) yield* c.sysRead('ICC_PMR_EL1'); // vCPU 1 starts with a cheap access
          yield* c.read('GICD_TYPER');
          yield* c.read('GICD_TYPER');
        },
      ),
    );
    expect(r.failures).toEqual([]);
    expect(r.events.map((e) => [e.cycle, 'cpu' in e ? e.cpu : null])).toEqual([
      [0n, 0],
      [0n, 1],
      [SYS, 1],
      [MMIO, 0],
      [MMIO + SYS, 1],
    ]);
  });

  test('access kinds cost what COSTS.md documents', () => {
    const r = rec(
      guest(1, () =>
        function* (c) {
          yield* c.read('GICD_CTLR');
          yield* c.sysWrite('ICC_PMR_EL1', 0xf0);
          yield* c.sysWrite('ICC_SGI1R_EL1', 0n);
          yield* c.delay(1000);
          yield* c.log('end');
        },
      ),
    );
    expect(r.events.map((e) => e.cycle)).toEqual([0n, MMIO, MMIO + SYS, MMIO + SYS + SYS_TRAP + 1000n]);
  });

  test('reads return the model value and record it as observed', () => {
    let typer = -1n;
    const r = rec(
      guest(1, () =>
        function* (c) {
          typer = yield* c.read('GICD_TYPER');
        },
      ),
    );
    expect(typer).toBe(1n);
    expect(r.events[0]).toMatchObject({ kind: EventKind.MmioRead, frame: Frame.Dist, offset: 4, size: 4, observed: 1n });
  });
});

describe('exceptions, WFI and devices', () => {
  test('an unmasked IRQ enters the handler at the next instruction boundary; a masked one waits', () => {
    const seen: bigint[] = [];
    const r = rec(
      guest(1, () =>
        function* (c) {
          c.onIrq(function* (h) {
            const iar = yield* h.sysRead('ICC_IAR1_EL1');
            seen.push(iar);
            yield* h.sysWrite('ICC_EOIR1_EL1', iar);
          });
          yield* c.write('GICR_ISENABLER0', 0xffff);
          yield* c.write('GICR_ISPENDR0', 1 << 3); // masked out of reset: not taken
          yield* c.log('still masked');
          yield* c.unmask();
          yield* c.log('after unmask');
        },
      ),
    );
    expect(seen).toEqual([3n]);
    const t0 = 2n * MMIO + DEFAULT_COSTS.daif;
    expect(brief(r.events)).toEqual([
      'MmioWrite@0:0',
      `MmioWrite@0:${MMIO}`,
      `still masked@0:${2n * MMIO}`,
      `SysregRead@0:${t0 + DEFAULT_COSTS.exceptionEntry}`,
      `SysregWrite@0:${t0 + DEFAULT_COSTS.exceptionEntry + SYS}`,
      `after unmask@0:${t0 + DEFAULT_COSTS.exceptionEntry + 2n * SYS + DEFAULT_COSTS.exceptionReturn}`,
    ]);
  });

  test('an SGI from another vCPU wakes a vCPU in WFI, which takes it before WFI returns', () => {
    const order: string[] = [];
    const r = rec(
      guest(2, () => {
        let got = false;
        return function* (c) {
          c.onIrq(function* (h) {
            const iar = yield* h.sysRead('ICC_IAR1_EL1');
            order.push(`irq ${iar} on ${h.id}`);
            got = true;
            yield* h.sysWrite('ICC_EOIR1_EL1', iar);
          });
          if (c.id === 0) {
            yield* c.write('GICR_ISENABLER0', 0xffff);
            yield* c.unmask();
            while (!got) yield* c.wfi();
            order.push('woken');
          } else {
            yield* c.delay(100000);
            yield* c.sysWrite('ICC_SGI1R_EL1', (1n << 24n) | 1n); // SGI 1 to vCPU 0
          }
        };
      }),
    );
    expect(r.failures).toEqual([]);
    expect(order).toEqual(['irq 1 on 0', 'woken']);
    const sgi = r.events.find((e) => e.kind === EventKind.SysregWrite && e.cpu === 1)!;
    const iar = r.events.find((e) => e.kind === EventKind.SysregRead)!;
    expect(sgi.cycle).toBe(100000n);
    expect(iar.cycle).toBe(100000n + DEFAULT_COSTS.wfiWake + DEFAULT_COSTS.exceptionEntry);
  });

  test('a timer change wakes a vCPU in WFI at the timer cycle, without an event of its own', () => {
    let wokeAt = 0n;
    const r = rec(
      guest(1, () =>
        function* (c) {
          yield* c.write('GICR_ISENABLER0', 1 << 27);
          yield* c.sysWrite('CNTV_CVAL_EL0', 50000);
          yield* c.wfi();
          wokeAt = c.cycle;
          yield* c.sysRead('ICC_IAR1_EL1');
        },
      ),
    );
    expect(wokeAt).toBe(50000n + DEFAULT_COSTS.wfiWake);
    expect(r.events[r.events.length - 1]).toMatchObject({ kind: EventKind.SysregRead, cycle: 50000n + DEFAULT_COSTS.wfiWake, observed: 27n });
  });

  test('an interrupt arriving during a busy-wait is taken at its cycle and the wait resumes', () => {
    const r = rec(
      guest(1, () =>
        function* (c) {
          c.onIrq(function* (h) {
            yield* h.sysWrite('ICC_EOIR1_EL1', yield* h.sysRead('ICC_IAR1_EL1'));
          });
          yield* c.write('GICD_ISENABLER1', 1);
          yield* c.unmask();
          c.scheduleLine(10000, 32, 1);
          yield* c.delay(100000);
          yield* c.log('done');
        },
      ),
    );
    expect(r.failures).toEqual([]);
    const line = r.events.findIndex((e) => e.kind === EventKind.Line);
    const start = MMIO + DEFAULT_COSTS.daif;
    expect(r.events[line].cycle).toBe(start + 10000n);
    expect(r.events[line + 1]).toMatchObject({ kind: EventKind.SysregRead, cycle: start + 10000n + DEFAULT_COSTS.exceptionEntry, observed: 32n });
    expect(r.events[r.events.length - 1]).toMatchObject({ kind: EventKind.Marker, cycle: start + 100000n });
  });

  test('a vCPU that idles ends the recording; one stuck in WFI is a guest failure with its source line', () => {
    const ok = rec(
      guest(2, () =>
        function* (c) {
          if (c.id === 1) yield* c.idle();
          yield* c.log('cpu0 done');
        },
      ),
    );
    expect(ok.failures).toEqual([]);
    const hung = rec(
      guest(1, () =>
        function* (c) {
          yield* c.wfi(); // HANG-LINE
        },
      ),
    );
    expect(hung.failures).toHaveLength(1);
    expect(hung.failures[0].message).toMatch(/waits in WFI forever/);
    expect(hung.failures[0].site).toEqual({ file: 'engine/guests/machine.test.ts', line: lineOf('HANG-LINE') });
  });
});

function lineOf(tag: string): number {
  const src = fs.readFileSync(__filename, 'utf8').split('\n');
  const i = src.findIndex((l) => l.includes(`// ${tag}`));
  if (i < 0) throw new Error(`no ${tag}`);
  return i + 1;
}

describe('guest assertions and bad guest code', () => {
  test('a failed assertion is recorded as a FAIL marker and reported with the guest line', () => {
    const r = rec(
      guest(1, () =>
        function* (c) {
          const typer = yield* c.read('GICD_TYPER');
          yield* c.assertEq(typer, 5, 'TYPER reads 5'); // ASSERT-LINE
          yield* c.assert(true, 'this one holds');
        },
      ),
    );
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatchObject({ guest: 'test-guest', cpu: 0, message: 'TYPER reads 5: got 0x1, expected 0x5', site: { file: 'engine/guests/machine.test.ts', line: lineOf('ASSERT-LINE') } });
    expect(r.events.filter((e) => e.kind === EventKind.Marker).map((e) => (e.kind === EventKind.Marker ? e.text : ''))).toEqual(['FAIL: TYPER reads 5: got 0x1, expected 0x5', 'PASS: this one holds']);
  });

  const bad = (body: VcpuProgram) => () => rec(guest(2, () => body, 'bad-guest'));

  test('an unknown register name names the guest and the line', () => {
    const run = bad(function* (c) {
      yield* c.read('GICD_NOSUCHREG'); // BAD-NAME
    });
    expect(run).toThrow(GuestError);
    expect(run).toThrow(`engine/guests/machine.test.ts, line ${lineOf('BAD-NAME')}: guest bad-guest: unknown register name "GICD_NOSUCHREG" for GICv3`);
  });

  test('a redistributor or vCPU that does not exist names the guest and the line', () => {
    const rd = bad(function* (c) {
      yield* c.read('GICR_CTLR', { rd: 2 }); // BAD-RD
    });
    expect(rd).toThrow(`line ${lineOf('BAD-RD')}: guest bad-guest: GICR_CTLR: redistributor 2 does not exist (the guest has 2 vCPUs: 0..1)`);
    const ppi = bad(function* (c) {
      yield* c.line(27, 1, 7); // BAD-CPU
    });
    expect(ppi).toThrow(`line ${lineOf('BAD-CPU')}: guest bad-guest: vCPU 7 does not exist (the guest has 2 vCPUs)`);
  });

  test('bad input through a shared guest library names the library line and the guest line that called it', () => {
    const run = bad(function* (c) {
      yield* sendSgiV3(c, 1, [7]); // VIA-LIB
    });
    expect(run).toThrow(/^traces\/guests\/src\/lib\/gic\.ts, line \d+: guest bad-guest: vCPU 7 does not exist \(the guest has 2 vCPUs\)/);
    expect(run).toThrow(`(called from engine/guests/machine.test.ts:${lineOf('VIA-LIB')})`);
  });

  test('a GICv2 register on a GICv3 guest and an UNDEFINED sysreg access are refused', () => {
    expect(
      bad(function* (c) {
        yield* c.read('GICC_IAR');
      }),
    ).toThrow('GICC_IAR is a GICv2 register; this guest has a GICv3');
    expect(
      bad(function* (c) {
        yield* c.sysWrite('ICC_IAR1_EL1', 0);
      }),
    ).toThrow('ICC_IAR1_EL1 is read-only: a write is UNDEFINED');
  });

  test('a step called without yield* is reported at its line instead of silently doing nothing', () => {
    const run = bad(function* (c) {
      c.write('GICD_CTLR', 1); // NO-YIELD
      yield* c.read('GICD_CTLR');
    });
    expect(run).toThrow(`line ${lineOf('NO-YIELD')}: guest bad-guest: this call was never run: a guest step needs \`yield*\``);
    const atEnd = bad(function* (c) {
      yield* c.read('GICD_CTLR');
      c.log('never printed'); // NO-YIELD-END
    });
    expect(atEnd).toThrow(`line ${lineOf('NO-YIELD-END')}: guest bad-guest: this call was never run`);
  });

  test('an IRQ with no handler installed is a guest error', () => {
    expect(
      bad(function* (c) {
        yield* c.write('GICR_ISENABLER0', 1);
        yield* c.write('GICR_ISPENDR0', 1);
        yield* c.unmask(); // NO-HANDLER
      }),
    ).toThrow(`line ${lineOf('NO-HANDLER')}: guest bad-guest: IRQ taken with no handler installed`);
  });

  test('an endless guest hits the event budget and fails instead of hanging', () => {
    const r = recordGuest(
      { ...guest(1, () =>
        function* (c) {
          for (;;) yield* c.read('GICD_CTLR');
        },
      ), maxEvents: 50 },
      { ...fake, policy: 'rev3' },
    );
    expect(r.events).toHaveLength(50);
    expect(r.failures[0].message).toMatch(/more than 50 events/);
  });
});

describe('a guest that spins without touching the GIC', () => {
  test('fails instead of hanging the recorder', () => {
    const r = rec(
      guest(2, () => {
        const flag = false;
        return function* (c) {
          yield* c.read('GICD_CTLR');
          while (!flag) yield* c.delay(100); // nobody ever sets it
        };
      }),
    );
    expect(r.failures.map((f) => f.message)).toEqual([expect.stringMatching(/made no GIC access in \d+ scheduler turns/)]);
  });

  test('an idle loop with its interrupt pending but masked fails too', () => {
    const r = rec(
      guest(1, () =>
        function* (c) {
          yield* c.write('GICR_ISENABLER0', 1);
          yield* c.write('GICR_ISPENDR0', 1);
          yield* c.idle(); // WFI returns at once (pending), the IRQ stays masked
        },
      ),
    );
    expect(r.failures).toHaveLength(1);
  });
});

describe('recording is deterministic and replays the same', () => {
  const pingPong = guest(3, () => {
    let round = 0;
    return function* (c) {
      c.onIrq(function* (h) {
        const iar = yield* h.sysRead('ICC_IAR1_EL1');
        yield* h.sysWrite('ICC_EOIR1_EL1', iar);
        round++;
      });
      yield* c.write('GICR_ISENABLER0', 0xffff);
      yield* c.unmask();
      if (c.id === 0) {
        for (let i = 0; i < 5; i++) {
          yield* c.sysWrite('ICC_SGI1R_EL1', (1n << 24n) | 6n); // SGI 1 to vCPUs 1 and 2
          yield* c.delay(20000);
        }
        yield* c.assertEq(round, 10, 'every SGI taken once');
      } else yield* c.idle();
    };
  });

  test('recording the same guest twice gives byte-identical traces', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guest-'));
    try {
      const a = path.join(dir, 'a.gtr');
      const b = path.join(dir, 'b.gtr');
      writeGuestTrace(rec(pingPong), a);
      writeGuestTrace(rec(pingPong), b);
      expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
      expect(fs.statSync(a).size).toBeGreaterThan(100);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('open-loop replay of the recorded events gives the records the recording saw', () => {
    const live: ReplayRecord[] = [];
    const r = recordGuest(pingPong, { ...fake, policy: 'rev3', sink: (x) => live.push(x) });
    expect(r.failures).toEqual([]);
    const replayed: ReplayRecord[] = [];
    replayEvents(r.header, r.events, { policy: getPolicy('rev3'), ...fake }, (x) => replayed.push(x));
    // The live reads saw `recorded: null` (nothing was observed before the access); otherwise identical.
    expect(replayed.map((x) => (x.op === 'read' ? { ...x, recorded: null } : x))).toEqual(live);
  });
});

describe('VMM device-attribute accesses are 32-bit, as KVM_{GET,SET}_DEVICE_ATTR carry them', () => {
  test('a 64-bit register is written as two 32-bit halves, low word first', () => {
    const t = rec(
      guest(1, () =>
        function* (c) {
          yield* c.hostWrite('GICD_IROUTER40', 0x1_0000_0203n);
        },
      ),
    );
    expect(t.failures).toEqual([]);
    const users = t.events.filter((e) => e.kind === EventKind.UserWrite);
    expect(users.map((e) => [e.offset, e.size, e.kind === EventKind.UserWrite ? e.value : null])).toEqual([
      [0x6000 + 40 * 8, 4, 0x203n],
      [0x6000 + 40 * 8 + 4, 4, 0x1n],
    ]);
  });

  test('a byte-sized userspace access is refused with the reason', () => {
    const def = guest(1, () =>
      function* (c) {
        yield* c.hostWrite('GICD_IPRIORITYR10.B0', 0x80);
      },
    );
    expect(() => rec(def)).toThrow(/GICD_IPRIORITYR10\.B0: KVM's register device attributes are 32-bit; a 1-byte userspace access cannot be made/);
  });
});
