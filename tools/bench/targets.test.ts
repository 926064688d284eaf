// The bench prints every row of issue 23's table, measured or not, and judges each the same way.

import { stat } from './stats';
import { renderTargets, targetsOf, TargetInputs } from './targets';

const ROWS = [/^(met|NOT MET|n\/a) +replay ÷ msgpackr decode floor/, /check time ÷ replay time \(10 M events, one policy/, /golden bytes ÷ trace bytes \(10 M events/, /whole suite, gicreplay check/, /peak RSS checking 10 M events/, /KVM backend, nested, whole suite/, /identical to the build before the optimisations/];

const measured: TargetInputs = {
  pairedReplayOverDecode: stat([1.1, 0.9, 1.2]),
  ratioOfMedians: 1.05,
  replayMs: stat([2000, 2100, 2200]),
  replayMaxRssMiB: 70,
  events: 10_000_000,
  traceBytes: 146e6,
  check: { seconds: stat([3.0]), maxRssMiB: stat([90]), goldenBytes: 100e6, goldenFormat: 2 },
  suite: { seconds: stat([1.2, 1.4, 1.3]), pairs: 220 },
  kvm: { suiteSeconds: stat([30]), boots: 2 },
  identity: { same: true, policy: 'rev3', detail: 'same' },
};

describe('bench targets', () => {
  test('every row of the issue table is printed and judged', () => {
    const lines = renderTargets(targetsOf(measured));
    for (const r of ROWS) expect(lines.some((l) => r.test(l))).toBe(true);
    const line = (re: RegExp) => lines.find((l) => re.test(l))!;
    expect(line(/decode floor/)).toMatch(/^met .*: 1\.10 \(target >= 1\.0\)/);
    expect(line(/check time ÷ replay/)).toMatch(/^met .*: 1\.43 \(target <= 1\.5\)/);
    expect(line(/golden bytes/)).toMatch(/^met .*format 2.*: 0\.68 \(target <= 1\.0\)/);
    expect(line(/peak RSS checking/)).toMatch(/^met .*: 90\.00/);
    expect(line(/whole suite/)).toMatch(/^met .*: 1\.30 \(target < 1\.5\)/);
    // Two boots miss "one boot" however fast.
    expect(line(/KVM backend/)).toMatch(/^NOT MET .*2 boots.*: 30\.00/);
    expect(line(/KVM backend/)).toContain('one boot is impossible: the GICv2 guests need a GICv2 host GIC');
  });

  test('a measurement that was skipped is still a row, saying why', () => {
    const lines = renderTargets(targetsOf({ ...measured, check: { skipped: 'no golden' }, suite: { skipped: '--no-suite' }, kvm: { skipped: 'no kernel' }, identity: { skipped: 'no digest recorded' } }));
    for (const r of ROWS) expect(lines.some((l) => r.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith('n/a'))).toHaveLength(6);
    expect(lines.find((l) => /KVM/.test(l))).toContain('not measured (no kernel)');
  });

  test('misses are reported as NOT MET', () => {
    const slow = targetsOf({ ...measured, pairedReplayOverDecode: stat([0.5]), check: { seconds: stat([9]), goldenBytes: 400e6, goldenFormat: 1, maxRssMiB: stat([130]) }, identity: { same: false, policy: 'rev3', detail: 'differs' } });
    expect(slow.filter((t) => t.met === false).map((t) => t.what.split(' (')[0])).toEqual([
      'replay ÷ msgpackr decode floor, median of 1 back-to-back pairs',
      'check time ÷ replay time',
      'golden bytes ÷ trace bytes',
      'peak RSS checking 10 M events',
      'KVM backend, nested, whole suite',
      'records and golden body identical to the build before the optimisations',
    ]);
  });
});
