// The virtual-timer PPI in the real QEMU Linux traces (traces/qemu, imported from
// ../shared/qemu-traces). QEMU's GIC trace events carry the timer's output line
// (gicv3_redist_set_irq / gic_set_irq for INTID 27) but no timer register access (those are CPU
// system registers QEMU does not trace), so the timer never becomes model-driven and the recorded
// levels replay as inputs. TIMER.md explains the numbers pinned here.

import * as path from 'path';
import { createModel } from '../gic';
import { getPolicy } from '../policy/policy';
import { replayEvents } from '../replay/replay';
import { EventKind, TraceEvent } from '../trace/events';
import { readTrace } from '../trace/reader';
import { createTimer } from './index';
import { TimerModel } from './types';

const DIR = path.join(__dirname, '..', '..', 'traces', 'qemu');

// Level changes of INTID 27 per vCPU, counted in the raw logs with awk (see TIMER.md):
// [changes, changes to 1, level at the end of the log]
const EXPECTED: Record<string, Array<[number, number, 0 | 1]>> = {
  'gic3-linux-smp2': [[624, 312, 0], [637, 319, 1]],
  'gic3-linux-smp2-tid': [[641, 321, 1], [645, 323, 1]],
  'gic3-linux-smp4': [[678, 339, 0], [566, 283, 0], [518, 259, 0], [507, 254, 1]],
  'gic3-linux-initrd-smp2': [[988, 494, 0], [874, 437, 0]],
  'gic2-linux-smp2': [[392, 196, 0], [515, 258, 1]],
  'gic2-linux-smp4': [[684, 342, 0], [439, 220, 1], [528, 264, 0], [532, 266, 0]],
  'gic2-linux-initrd-smp2': [[1059, 530, 1], [975, 488, 1]],
};

const isTimerReg = (ev: TraceEvent): boolean => (ev.kind === EventKind.SysregRead || ev.kind === EventKind.SysregWrite) && ev.enc >> 8 === 0x33e;

describe.each(Object.keys(EXPECTED))('timer PPIs in the real QEMU trace %s', (name) => {
  const { header, events } = readTrace(path.join(DIR, `${name}.gtr`));

  it('has no timer register access, so the timer never takes the line over', () => {
    expect(events.filter(isTimerReg)).toEqual([]);
  });

  it('records strictly alternating levels per vCPU, starting from 1, with the counts of the raw log', () => {
    const per = EXPECTED[name].map(() => ({ changes: 0, ups: 0, last: 0 as 0 | 1, repeats: 0 }));
    let noCpu = 0;
    for (const ev of events) {
      if (ev.kind !== EventKind.Line || ev.intid !== 27) continue;
      if (ev.cpu === null) {
        noCpu++;
        continue;
      }
      const p = per[ev.cpu];
      if (ev.level === p.last) p.repeats++;
      p.last = ev.level;
      p.changes++;
      if (ev.level) p.ups++;
    }
    expect(noCpu).toBe(0);
    expect(per.map((p) => [p.changes, p.ups, p.last])).toEqual(EXPECTED[name]);
    expect(per.map((p) => p.repeats)).toEqual(per.map(() => 0));
    // No other PPI line (e.g. the physical timer, 30) is ever driven in these boots.
    expect(events.filter((e) => e.kind === EventKind.Line && e.intid >= 16 && e.intid < 32 && e.intid !== 27)).toEqual([]);
  });

  it('replays the recorded timer levels as inputs: no line-mismatch, the GIC sees every change', () => {
    let timer!: TimerModel;
    const timerLines: string[] = [];
    const summary = replayEvents(
      header,
      events,
      {
        policy: getPolicy('rev3'),
        timerFactory: (h, deps) => (timer = createTimer(h, deps)),
        modelFactory: (g, p, deps) => {
          const m = createModel(g, p, { deps });
          const setLine = m.setLine.bind(m);
          m.setLine = (intid, cpu, level, owner) => {
            if (intid === 27) timerLines.push(owner);
            return setLine(intid, cpu, level, owner);
          };
          return m;
        },
      },
      () => {},
    );
    expect(summary.lineMismatches).toBe(0);
    expect(timerLines.length).toBe(EXPECTED[name].reduce((a, [n]) => a + n, 0));
    expect(new Set(timerLines)).toEqual(new Set(['device']));
    for (let cpu = 0; cpu < header.gic.cpus.length; cpu++) expect(timer.drivesLine(cpu, 27)).toBe(false);
  });
});
