// Which policy switches a trace exercises at all. A trace that never reads GICD_IIDR cannot tell
// revisions apart by IIDR; a trace that never writes IGROUPR is blind to the group rules. The
// matrix prints the switches a trace never exercises so nobody mistakes "identical" for "safe".

import { RegisterRegistry } from '../model/model';
import { EventKind, TraceEvent, UserGroup } from '../trace/events';
import { RegisterNamer } from '../inspect/registers';

export interface SwitchCoverage {
  /** Policy field(s) the switch covers. */
  switch: string;
  /** What the trace must do to exercise it. */
  needs: string;
  /** Number of events that exercise it. */
  events: number;
}

interface Probe {
  switch: string;
  needs: string;
  /** Only meaningful for this GIC version. */
  gic?: 2 | 3;
  test(ev: TraceEvent, name: string | undefined): boolean;
}

const IGROUPR = /^(GICD_IGROUPR\d+|GICR_IGROUPR0)(\.B\d)?$/;

const PROBES: Probe[] = [
  { switch: 'revision', needs: 'a guest read of GICD_IIDR', test: (ev, n) => ev.kind === EventKind.MmioRead && n === 'GICD_IIDR' },
  { switch: 'guestGroupWrites', needs: 'a guest write to IGROUPR', test: (ev, n) => ev.kind === EventKind.MmioWrite && n !== undefined && IGROUPR.test(n) },
  { switch: 'userGroupWrites', needs: 'a userspace write to IGROUPR', test: (ev, n) => ev.kind === EventKind.UserWrite && n !== undefined && IGROUPR.test(n) },
  { switch: 'userSelectableRevisions', needs: 'a userspace write to GICD_IIDR', test: (ev, n) => ev.kind === EventKind.UserWrite && n === 'GICD_IIDR' },
  { switch: 'gicrCtlrIrCes', needs: 'a guest read of GICR_CTLR (GICv3)', test: (ev, n) => ev.kind === EventKind.MmioRead && n === 'GICR_CTLR', gic: 3 },
];

export class CoverageScanner {
  private readonly counts = PROBES.map(() => 0);
  private readonly namer: RegisterNamer;

  constructor(registry: RegisterRegistry) {
    this.namer = new RegisterNamer(registry);
  }

  add(ev: TraceEvent): void {
    if (ev.kind === EventKind.Line || ev.kind === EventKind.Marker || ev.kind === EventKind.SysregRead || ev.kind === EventKind.SysregWrite) return;
    if ((ev.kind === EventKind.UserRead || ev.kind === EventKind.UserWrite) && ev.group === UserGroup.CpuSysregs) return;
    const name = this.namer.name(ev);
    for (let i = 0; i < PROBES.length; i++) if (PROBES[i].test(ev, name)) this.counts[i]++;
  }

  /** Coverage of the switches that exist for this GIC version. */
  result(gic: 2 | 3): SwitchCoverage[] {
    return PROBES.map((p, i) => ({ p, c: { switch: p.switch, needs: p.needs, events: this.counts[i] } }))
      .filter(({ p }) => p.gic === undefined || p.gic === gic)
      .map(({ c }) => c);
  }
}
