import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getPolicy } from '../policy/policy';
import { projectRoot } from '../util/project-root';
import { checkInvariants, loadInvariants } from './invariants';
import { traceMigrations } from './migrate-matrix';
import { renderMigrationMatrixTable, renderMigrationReport } from './render-migrate-matrix';

const root = projectRoot();
const tracesDir = path.join(root, 'traces');
const grp1 = 'guests/grp1-ackctl-v2.gtr';

describe('matrix --migrations (engine/divergence/migrate-matrix.ts)', () => {
  const m = traceMigrations(path.join(tracesDir, grp1), grp1, ['rev2', 'mainline-rev3', 'rev3'].map(getPolicy));
  const cell = (from: string, to: string, at: 'midpoint' | 'last') => m.cells.find((c) => c.from === from && c.to === to && c.at === at)!;

  it('migrates between every ordered pair, the same policy included, at the midpoint and the last event', () => {
    expect(m.cells).toHaveLength(3 * 3 * 2);
    expect(cell('rev2', 'rev2', 'midpoint').index).toBe(Math.floor((m.events - 1) / 2));
    expect(cell('rev2', 'rev2', 'last').index).toBe(m.events - 1);
  });

  it('tells a lost group from a revision that only reads differently', () => {
    expect(cell('rev2', 'rev2', 'last')).toMatchObject({ invisible: true, beyondRevision: false, groupsConfigured: true });
    expect(cell('rev2', 'mainline-rev3', 'last')).toMatchObject({ invisible: false, beyondRevision: true, dropped: ['GICD_IGROUPR'], leftDifferent: ['GICD_IGROUPR', 'GICD_IIDR'] });
    // rev2 → rev3 honours the IGROUPR restore: only GICD_IIDR tells the revision changed.
    expect(cell('rev2', 'rev3', 'last')).toMatchObject({ invisible: false, beyondRevision: false, dropped: [], leftDifferent: ['GICD_IIDR'] });
    // At the midpoint the guest has not configured its groups yet (its IGROUPR write comes after).
    expect(cell('rev2', 'mainline-rev3', 'midpoint').groupsConfigured).toBe(false);
  });

  it('the report section answers the question for GICv2 guests with configured groups saved on rev2', () => {
    const md = renderMigrationReport([m]);
    expect(md).toContain('### GICv2 guests with configured groups, saved on a rev-2 kernel');
    expect(md).toMatch(/\| `guests\/grp1-ackctl-v2\.gtr` \| last event \(event 58\) \| \*\*noticed\*\*: restore of GICD_IGROUPR dropped or refused;/);
    expect(md).toContain('- `rev2` → `mainline-rev3`: the IGROUPR restore is dropped for 1 of 1 (`guests/grp1-ackctl-v2.gtr`).');
    expect(md).toContain('- `rev2` → `rev3`: every IGROUPR restore is honoured.');
    expect(renderMigrationMatrixTable([m])).toContain('rev2 → rev2: invisible for every trace');
  });
});

describe('invariants can state that a migration must be invisible (golden/invariants.json "migration")', () => {
  const base = { trace: grp1, reason: 'because', migration: { at: 32, vmm: 'qemu' as const } };

  it('agree holds for the same kernel on both sides and fails, with a pasteable command, when the guest notices', () => {
    expect(checkInvariants(tracesDir, [{ ...base, policies: ['rev2', 'rev2'], expect: 'agree' }])[0].ok).toBe(true);
    const bad = checkInvariants(tracesDir, [{ ...base, policies: ['rev2', 'mainline-rev3'], expect: 'agree' }])[0];
    expect(bad.ok).toBe(false);
    expect(bad.message).toContain('gicreplay migrate traces/guests/grp1-ackctl-v2.gtr --from rev2 --to mainline-rev3 --at 32 --vmm qemu');
  });

  it('differ names the register the guest must notice it through', () => {
    expect(checkInvariants(tracesDir, [{ ...base, policies: ['rev2', 'mainline-rev3'], expect: 'differ', register: 'GICD_IGROUPR' }])[0].ok).toBe(true);
    const wrong = checkInvariants(tracesDir, [{ ...base, policies: ['rev2', 'mainline-rev3'], expect: 'differ', register: 'GICR_CTLR' }])[0];
    expect(wrong.ok).toBe(false);
    expect(wrong.message).toMatch(/must be noticed through GICR_CTLR/);
  });

  it('a malformed migration field is an input error naming the file and the expected shape', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-inv-'));
    try {
      const file = path.join(dir, 'invariants.json');
      fs.writeFileSync(file, JSON.stringify({ schema: 1, invariants: [{ trace: grp1, policies: ['rev2', 'rev3'], expect: 'agree', reason: 'r', migration: { at: 'soon' } }] }));
      expect(() => loadInvariants(file)).toThrow(/invariants\[0\]\.migration is \{"at":"soon"\}[\s\S]*"midpoint"/);
      expect(loadInvariants(path.join(root, 'golden', 'invariants.json')).filter((i) => i.migration)).toHaveLength(4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
