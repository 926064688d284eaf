// Every frame table keeps its rows as written: FrameTable copies each row into one fixed shape
// (regtable.ts uniformRow, for V8's sake), and a property the copy forgot would vanish silently.

import { ITS_FRAME, ITS_ROWS } from './its/its-table';
import { V2_CPUIF, V2_CPUIF_ROWS, V2_CPUIF_USER, V2_CPUIF_USER_ROWS } from './v2/cpuif-table';
import { V2_DIST, V2_DIST_ROWS } from './v2/dist-table';
import { V3_DIST, V3_REDIST } from './v3/model';
import { V3_DIST_ROWS } from './v3/dist-table';
import { V3_REDIST_ROWS } from './v3/redist-table';

type Row = Record<string, unknown>;
const TABLES: [string, { readonly rows: readonly object[] }, readonly object[]][] = [
  ['GICv3 distributor', V3_DIST, V3_DIST_ROWS],
  ['GICv3 redistributor', V3_REDIST, V3_REDIST_ROWS],
  ['ITS', ITS_FRAME, ITS_ROWS],
  ['GICv2 distributor', V2_DIST, V2_DIST_ROWS],
  ['GICv2 CPU interface', V2_CPUIF, V2_CPUIF_ROWS],
  ['GICv2 CPU_REGS attributes', V2_CPUIF_USER, V2_CPUIF_USER_ROWS],
];

describe.each(TABLES)('the %s table', (_name, table, rows) => {
  test('holds every row, in order, with every property it was written with (handlers by identity)', () => {
    expect(table.rows).toHaveLength(rows.length);
    rows.forEach((written, i) => {
      const row = written as Row;
      const kept = table.rows[i] as Row;
      for (const [k, v] of Object.entries(row)) expect([row.name, k, kept[k]]).toEqual([row.name, k, v]);
      expect(kept.read).toBe(row.read);
      expect(kept.write).toBe(row.write);
    });
  });

  test('gives all its rows one shape: the same properties in the same order', () => {
    expect(new Set(table.rows.map((r) => Object.keys(r).join(','))).size).toBe(1);
  });
});
