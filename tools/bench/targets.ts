// The benchmark's targets (issue 23's table), each judged from measurements of one run, and
// printed whether or not it could be measured: a skipped measurement is a row that says why,
// never a missing row.

import { Stat } from './stats';

export interface Target {
  what: string;
  /** null: not measured in this run (see `note`). */
  value: number | null;
  goal: string;
  /** null: not measured. */
  met: boolean | null;
  note?: string;
}

export interface TargetInputs {
  /** Replay ÷ decode floor of each back-to-back pair. */
  pairedReplayOverDecode: Stat;
  ratioOfMedians: number;
  replayMs: Stat;
  replayMaxRssMiB: number;
  events: number;
  traceBytes: number;
  check: { seconds: Stat; maxRssMiB?: Stat; goldenBytes: number; goldenFormat: number } | { skipped: string };
  suite: { seconds: Stat; pairs: number } | { skipped: string };
  kvm: { suiteSeconds: Stat; boots: number | null } | { skipped: string };
  /** The records' digest against the one recorded before the optimisations (digests.json). */
  identity: { same: boolean; policy: string; detail: string } | { skipped: string };
}

const skipped = (x: object): x is { skipped: string } => 'skipped' in x;

export function targetsOf(t: TargetInputs): Target[] {
  const out: Target[] = [];
  const p = t.pairedReplayOverDecode;
  out.push({
    what: `replay ÷ msgpackr decode floor, median of ${p.runs.length} back-to-back pairs (min ${p.min.toFixed(2)}, max ${p.max.toFixed(2)}; ratio of medians ${t.ratioOfMedians.toFixed(2)})`,
    value: p.median,
    goal: '>= 1.0',
    met: p.median >= 1.0,
  });
  const ev = `${(t.events / 1e6).toFixed(t.events % 1e6 ? 1 : 0)} M events`;
  if (skipped(t.check)) {
    for (const what of [`check time ÷ replay time (${ev}, one policy)`, `golden bytes ÷ trace bytes (${ev})`, `peak RSS checking ${ev} (MiB)`]) out.push({ what, value: null, goal: '-', met: null, note: t.check.skipped });
  } else {
    // The check is the CLI (start-up included), the replay a measurement child: both end to end.
    const r = t.check.seconds.median / (t.replayMs.median / 1000);
    out.push({ what: `check time ÷ replay time (${ev}, one policy; check ${t.check.seconds.median.toFixed(2)} s incl. start-up, replay ${(t.replayMs.median / 1000).toFixed(2)} s)`, value: r, goal: '<= 1.5', met: r <= 1.5 });
    const g = t.check.goldenBytes / t.traceBytes;
    out.push({ what: `golden bytes ÷ trace bytes (${ev}: ${mib(t.check.goldenBytes)} golden, format ${t.check.goldenFormat}, ${mib(t.traceBytes)} trace)`, value: g, goal: '<= 1.0', met: g <= 1.0 });
    if (t.check.maxRssMiB) out.push({ what: `peak RSS checking ${ev} (MiB, max of runs)`, value: t.check.maxRssMiB.max, goal: '< 100', met: t.check.maxRssMiB.max < 100 });
    else out.push({ what: `peak RSS checking ${ev} (MiB)`, value: null, goal: '< 100', met: null, note: 'no /usr/bin/time on this machine' });
  }
  out.push({ what: 'peak RSS replaying (MiB, max of runs)', value: t.replayMaxRssMiB, goal: '< 143 (150 MB)', met: t.replayMaxRssMiB * 2 ** 20 < 150e6 });
  if (skipped(t.suite)) out.push({ what: 'whole suite, gicreplay check (s, start-up included)', value: null, goal: '< 1.5', met: null, note: t.suite.skipped });
  else out.push({ what: `whole suite, gicreplay check (${t.suite.pairs} pairs, s, start-up included; min ${t.suite.seconds.min.toFixed(2)}, max ${t.suite.seconds.max.toFixed(2)})`, value: t.suite.seconds.median, goal: '< 1.5', met: t.suite.seconds.median < 1.5 });
  if (skipped(t.kvm)) out.push({ what: 'KVM backend, nested, whole suite (s)', value: null, goal: '< 60, one boot', met: null, note: t.kvm.skipped });
  else {
    const boots = t.kvm.boots;
    // One boot cannot hold the whole suite: a host has one GIC, and the GICv2 guests need a GICv2
    // host GIC (KVM's vgic_v3_probe offers GICv2 emulation only with a GICV, which QEMU's GICv3 lacks).
    const why = boots !== null && boots > 1 ? `; one boot is impossible: the GICv2 guests need a GICv2 host GIC, a GICv3 host without GICV offers no vGICv2` : '';
    out.push({ what: `KVM backend, nested, whole suite (gicreplay fidelity --backend kvm, ${boots === null ? '? boots' : `${boots} boot${boots === 1 ? '' : 's'}`}${why}), s`, value: t.kvm.suiteSeconds.median, goal: '< 60, one boot', met: t.kvm.suiteSeconds.median < 60 && boots === 1 });
  }
  if (skipped(t.identity)) out.push({ what: 'records identical to the build before the optimisations (SHA-256)', value: null, goal: 'same digest', met: null, note: t.identity.skipped });
  else out.push({ what: `records and golden body identical to the build before the optimisations (${t.identity.policy}: ${t.identity.detail})`, value: t.identity.same ? 1 : 0, goal: 'same digest', met: t.identity.same });
  return out;
}

function mib(b: number): string {
  return `${(b / 2 ** 20).toFixed(1)} MiB`;
}

/** One line per target: met / NOT MET / not measured, the value and the goal. */
export function renderTargets(ts: readonly Target[]): string[] {
  return ts.map((t) => {
    if (t.met === null || t.value === null) return `n/a      ${t.what}: not measured (${t.note ?? 'skipped'}) (target ${t.goal})`;
    return `${t.met ? 'met    ' : 'NOT MET'}  ${t.what}: ${t.value.toFixed(2)} (target ${t.goal})`;
  });
}
