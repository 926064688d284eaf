// The campaign's streams without KVM: deterministic in the seed, valid traces, every register
// class of both GIC versions reached, acknowledges followed by the model's INTID's EOI; the
// signature and open-list logic that decides CI's verdict.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sysregByName } from '../../../arch/sysregs';
import { getPolicy } from '../../../policy/policy';
import { readTrace } from '../../../trace/reader';
import { EventKind, Frame, UserGroup } from '../../../trace/events';
import { generateStream, Prng } from './generate';
import { eventClass, signature, streamSeeds, writeStreams } from './run';
import { readOpenList, renderOpenList } from './index';

const policy = getPolicy('linux-6.1');

describe('campaign streams', () => {
  test('the same seed gives the same stream, another seed another', () => {
    const a = generateStream({ seed: 7, version: 3, events: 400, policy });
    const b = generateStream({ seed: 7, version: 3, events: 400, policy });
    const c = generateStream({ seed: 8, version: 3, events: 400, policy });
    expect(b.events).toEqual(a.events);
    expect(c.events).not.toEqual(a.events);
    expect(new Prng(1).u32()).toBe(new Prng(1).u32());
  });

  test('streams are traces the reader takes back unchanged', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'campaign-test-'));
    try {
      const s = [3, 2].map((v) => generateStream({ seed: 3, version: v as 2 | 3, events: 300, policy }));
      const files = writeStreams(s, dir);
      files.forEach((f, i) => expect(readTrace(f).events).toEqual(s[i].events));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a few streams reach every register class of GICv2 and GICv3, before and after init', () => {
    const seen = new Set<string>();
    let preInitUser = 0;
    for (const v of [3, 2] as const) {
      for (const seed of streamSeeds(1, 12, v)) {
        const s = generateStream({ seed, version: v, events: 1500, policy });
        let init = s.header.gic.init !== 'traced';
        for (const ev of s.events) {
          seen.add(`v${v} ${eventClass(ev, v)}`);
          if (ev.kind === EventKind.UserWrite && ev.group === UserGroup.Ctrl) init = true;
          else if (!init && (ev.kind === EventKind.UserRead || ev.kind === EventKind.UserWrite)) preInitUser++;
        }
      }
    }
    expect([...seen].sort()).toEqual(
      ['v2 GICC', 'v2 GICD', 'v2 PPI line', 'v2 SPI line', 'v2 user cpu', 'v2 user ctrl', 'v2 user dist', 'v3 GICD', 'v3 GICR', 'v3 ICC', 'v3 PPI line', 'v3 SPI line', 'v3 user ctrl', 'v3 user dist', 'v3 user redist', 'v3 user sysregs'].sort(),
    );
    expect(preInitUser).toBeGreaterThan(0);
  });

  test('an acknowledged INTID is EOId with the value the model handed out, DIR in EOI mode 1', () => {
    const IAR1 = sysregByName('ICC_IAR1_EL1')!.enc;
    const EOIR1 = sysregByName('ICC_EOIR1_EL1')!.enc;
    const DIR = sysregByName('ICC_DIR_EL1')!.enc;
    let eois = 0, dirs = 0, gicvEois = 0;
    // 12 GICv3 streams: on 6.1 with 4 list registers a stream with many SPIs active often reads
    // IAR 1023 (the pending ones sort behind the active ones), so EOI-mode-1 flows that reach DIR are rarer.
    for (const seed of streamSeeds(2, 12, 3)) {
      const s = generateStream({ seed, version: 3, events: 1500, policy });
      expect(s.events.some((e) => e.kind === EventKind.SysregRead && e.enc === IAR1)).toBe(true);
      eois += s.events.filter((e) => e.kind === EventKind.SysregWrite && e.enc === EOIR1).length;
      dirs += s.events.filter((e) => e.kind === EventKind.SysregWrite && e.enc === DIR).length;
    }
    // 8 GICv2 streams: on 6.1 a multi-source SGI keeps everything of lower priority out of the
    // list registers (vgic_flush_lr_state's multi-SGI cut), so fewer GICC acknowledges are EOId.
    for (const seed of streamSeeds(2, 8, 2)) {
      const s = generateStream({ seed, version: 2, events: 1500, policy });
      gicvEois += s.events.filter((e) => e.kind === EventKind.MmioWrite && e.frame === Frame.CpuIf && (e.offset === 0x10 || e.offset === 0x1000)).length;
    }
    expect(eois).toBeGreaterThan(10);
    expect(dirs).toBeGreaterThan(0);
    expect(gicvEois).toBeGreaterThan(10);
  });

  test('the timer PPIs (KVM maps them to the host timer) are never made pending or active by a stream', () => {
    for (const v of [3, 2] as const) {
      for (const seed of streamSeeds(4, 4, v)) {
        const s = generateStream({ seed, version: v, events: 1500, policy });
        for (const e of s.events) {
          if (e.kind === EventKind.Line && e.cpu !== null) expect([26, 27, 28, 29, 30]).not.toContain(e.intid);
          if (e.kind === EventKind.MmioWrite && (e.frame === Frame.RedistSgi || (v === 2 && e.frame === Frame.Dist)) && e.offset >= 0x200 && e.offset < 0x400 && e.offset % 0x80 === 0) expect(e.value & 0x7c000000n).toBe(0n);
        }
      }
    }
  });
});

describe('signatures and the open list', () => {
  test('an array register loses its index, a system register keeps its name', () => {
    expect(signature({ what: 'read', reg: 'GICR_ISPENDR0' })).toBe('read GICR_ISPENDRn');
    expect(signature({ what: 'read', reg: 'ICC_IAR1_EL1' })).toBe('read ICC_IAR1_EL1');
    expect(signature({ what: 'irq', reg: 'cpu3' })).toBe('irq cpun');
  });

  test('the open list round-trips and a damaged one is an input error naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'campaign-open-'));
    try {
      const f = path.join(dir, 'open.json');
      fs.writeFileSync(f, renderOpenList(['read b', 'irq cpun'], 'k'));
      expect(readOpenList(f).signatures).toEqual(['irq cpun', 'read b']);
      fs.writeFileSync(f, '{"signatures": 3}');
      expect(() => readOpenList(f)).toThrow(/open\.json.*|not a campaign open list/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
