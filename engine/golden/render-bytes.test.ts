// The byte renderer the fast check hashes must give exactly renderRecord's lines: over every
// suite trace under every built-in policy, and over records the suite does not hold (values of
// 2^53 and more, no vCPU, timer records, errnos, non-ASCII text, very long effects).

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { builtinPolicies } from '../policy/policy';
import { replayFile } from '../replay/replay';
import { ReplayRecord } from '../replay/records';
import { openTrace } from '../trace/reader';
import { projectRoot } from '../util/project-root';
import { fieldFormatterFor, FieldFormatter, renderRecord } from './render';
import { BodyHasher } from './render-bytes';

function plainDigest(recs: readonly ReplayRecord[], fields: FieldFormatter): string {
  return createHash('sha256').update(recs.map((r) => `${renderRecord(r, fields)}\n`).join(''), 'utf8').digest('hex');
}

function byteDigest(recs: readonly ReplayRecord[], fields: FieldFormatter): { digest: string; lines: number } {
  const h = new BodyHasher(fields);
  for (const r of recs) h.add(r);
  return { digest: h.digest(), lines: h.lines };
}

function traces(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...traces(p));
    else if (e.name.endsWith('.gtr')) out.push(p);
  }
  return out;
}

describe('golden body bytes (fast check) = rendered lines', () => {
  const files = traces(path.join(projectRoot(), 'traces'));
  it('finds the suite', () => expect(files.length).toBeGreaterThan(20));
  it.each(files.map((f) => [path.relative(projectRoot(), f)]))('%s under every built-in policy', (rel) => {
    const file = path.join(projectRoot(), rel);
    const r = openTrace(file);
    const fields = fieldFormatterFor(r.header.gic);
    r.close();
    for (const policy of builtinPolicies()) {
      const recs: ReplayRecord[] = [];
      replayFile(file, { policy }, (x) => recs.push(x));
      const b = byteDigest(recs, fields);
      expect({ policy: policy.id, digest: b.digest, lines: b.lines }).toEqual({ policy: policy.id, digest: plainDigest(recs, fields), lines: recs.length });
    }
  });

  it('corner cases: big values, no vCPU, timer and line writes, errnos, non-ASCII, long text', () => {
    const fields: FieldFormatter = (reg, v) => (reg === 'F' ? `A=${v} B=ü` : undefined);
    const long = 'x'.repeat(300_000) + 'é';
    const longWrite: ReplayRecord = { op: 'write', index: 7, cycle: 5n, cpu: null, src: 'line', via: 'line', reg: 'SPI 40', offset: null, size: 0, value: 0n, effect: long };
    const recs: ReplayRecord[] = [
      { op: 'read', index: 0, cycle: 0n, cpu: 0, src: 'guest', via: 'mmio', reg: 'GICD_ISENABLER1', offset: 0x104, size: 4, value: 0n, recorded: null },
      { op: 'read', index: 12345678901, cycle: 2n ** 53n, cpu: null, src: 'guest', via: 'sysreg', reg: 'F', offset: null, size: 8, value: 2n ** 64n - 1n, recorded: 2n ** 53n - 1n, unmodelled: true },
      { op: 'read', index: 9, cycle: 0xffffffffn, cpu: 17, src: 'user', via: 'user', reg: 'GICD_IPRIORITYR8', offset: 0x420, size: 1, value: 0x100000000n, recorded: 0x100000000n, result: 16 },
      { op: 'read', index: 10, cycle: 0x1_0000_0000n, cpu: 3, src: 'user', via: 'user', reg: 'GICD_X', offset: 0, size: 4, value: 0n, recorded: 1n, result: 123 },
      { op: 'write', index: -1, cycle: 0x123456789abcn, cpu: 1, src: 'timer', via: 'line', reg: 'PPI 27', offset: null, size: 0, value: 1n, effect: 'pending "set" ✓' },
      { op: 'write', index: 8, cycle: 6n, cpu: 2, src: 'guest', via: 'mmio', reg: 'GICD_ICENABLER2', offset: 0x188, size: 4, value: 2n ** 63n, effect: 'dropped', unmodelled: true, result: 22 },
      { op: 'write', index: 8, cycle: 6n, cpu: 2, src: 'user', via: 'user', reg: 'GICR_CTLR', offset: 0, size: 4, value: 1n, effect: 'x' },
      { op: 'irq', cpu: 0, level: 1, cycle: 0n, index: -1 },
      { op: 'fiq', cpu: 123, level: 0, cycle: 2n ** 60n, index: 4 },
      { op: 'marker', index: 3, cycle: 1n, cpu: null, text: 'boot ☃\n"done"' },
      { op: 'line-mismatch', index: 4, cycle: 2n, cpu: 1, intid: 27, recorded: 1, modelled: 0 },
      { op: 'truncated', index: 5, reason: 'cut' },
      { op: 'mem-write', index: -1, cycle: 3n, addr: 0x8000n, bytes: new Uint8Array([1, 2, 255]), why: 'save' },
    ];
    // Many times over, so records straddle the renderer's buffer boundaries.
    const many: ReplayRecord[] = [];
    for (let i = 0; i < 400; i++) many.push(...recs, ...(i % 150 === 0 ? [longWrite] : []));
    expect(byteDigest(many, fields)).toEqual({ digest: plainDigest(many, fields), lines: many.length });
  });

  it('reads rendered once per value (the tail cache) give the same bytes: repeated values, a register whose values do not repeat, and the same register recorded differently, with an errno, unmodelled', () => {
    const fields: FieldFormatter = (reg, v) => (reg === 'F' ? `A=${v & 7n}` : undefined);
    const recs: ReplayRecord[] = [];
    const read = (i: number, reg: string, value: bigint, extra: Partial<ReplayRecord & { op: 'read' }> = {}): ReplayRecord => ({ op: 'read', index: i, cycle: BigInt(i) * 3n, cpu: i % 3, src: 'guest', via: 'mmio', reg, offset: 0, size: 4, value, recorded: null, ...extra });
    for (let i = 0; i < 2000; i++) {
      recs.push(read(i, 'F', BigInt(i % 7)));
      recs.push(read(i, 'CNTVCT_EL0', BigInt(i) * 977n, { via: 'sysreg', size: 8 })); // past TAILS_PER_REGISTER distinct values
      recs.push(read(i, 'GICD_ISENABLER1', BigInt(i % 5), i % 11 === 0 ? { recorded: 9n } : i % 13 === 0 ? { result: 22 } : i % 17 === 0 ? { unmodelled: true } : { recorded: BigInt(i % 5) }));
      recs.push(read(i, 'GICD_ISENABLER1', BigInt(i % 5), { size: 1 }));
      recs.push(read(i, 'GICD_ISENABLER1', BigInt(i % 5), { src: 'user', via: 'user' }));
    }
    expect(byteDigest(recs, fields)).toEqual({ digest: plainDigest(recs, fields), lines: recs.length });
  });
});
