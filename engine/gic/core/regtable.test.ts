// The register-table machinery: KVM's binary search over region tables, check_region, naming.

import { addrToIntid, extractBytes, FieldDef, formatFieldList, FrameTable, ignoredWrite, kvmBsearch, rao, raz, RegRow, ro, update64, userReadOf, userWriteOf, W32, W64, W8, wi } from './regtable';

type Row = RegRow<null>;
const row = (name: string, offset: number, len: number, widths = W32, extra: Partial<Row> = {}): Row => ({
  name, offset, len, bitsPerIrq: 0, widths, naming: { kind: 'single' }, access: 'RW', read: () => 0n, write: () => undefined, uaccess: 'same', ...extra,
});

describe('kvmBsearch (lib/bsearch.c with match_region)', () => {
  it('finds every row of a sorted table and nothing in the gaps', () => {
    const rows = [row('A', 0, 4), row('B', 8, 8), row('C', 0x100, 0x80)];
    expect([0, 4, 8, 12, 0x100, 0x17c, 0x180].map((o) => kvmBsearch(rows, o))).toEqual([0, -1, 1, 1, 2, 2, -1]);
  });

  it('misses an out-of-order row the way KVM misses GICR_STATUSR', () => {
    // KVM's vgic_v3_rd_registers start: CTLR 0x0, STATUSR 0x10, IIDR 0x4, TYPER 0x8 (8), WAKER 0x14, ...
    const rows = [row('CTLR', 0, 4), row('STATUSR', 0x10, 4), row('IIDR', 4, 4), row('TYPER', 8, 8), row('WAKER', 0x14, 4), row('PROPBASER', 0x70, 8)];
    expect(kvmBsearch(rows, 0x10)).toBe(-1);
    expect(kvmBsearch(rows, 0x14)).toBe(4);
    expect(kvmBsearch(rows, 0x70)).toBe(5);
  });
});

describe('FrameTable', () => {
  const t = new FrameTable<null>('GICX', 0x1000, [
    row('GICX_CTLR', 0, 4),
    row('GICX_TYPER', 8, 8, W32 | W64),
    row('GICX_PRIO', 0x400, 0x400, W8 | W32, { bitsPerIrq: 8, naming: { kind: 'array', base: 0x400, bits: 8 } }),
    row('GICX_ROUTE', 0x800, 0x400, W32 | W64, { bitsPerIrq: 64, naming: { kind: 'array', base: 0x800, bits: 64 } }),
  ], 'test frame');

  it('names words, upper halves, bytes and unclaimed offsets', () => {
    expect(t.wordName(0)).toBe('GICX_CTLR');
    expect(t.wordName(0xc)).toBe('GICX_TYPER.HI');
    expect(t.accessName(0x421, 1)).toBe('GICX_PRIO8.B1');
    expect(t.wordName(0x840)).toBe('GICX_ROUTE8');
    expect(t.wordName(0x844)).toBe('GICX_ROUTE8.HI');
    expect(t.wordName(0x14)).toBe('GICX+0x14');
  });

  it('applies check_region: widths, alignment, nr_irqs, frame bounds', () => {
    expect(t.resolve(0, 4, 64).row?.name).toBe('GICX_CTLR');
    expect(t.resolve(0, 1, 64)).toMatchObject({ row: undefined, error: 'GICX_CTLR allows 32-bit accesses only' });
    expect(t.resolve(0x8, 8, 64).row?.name).toBe('GICX_TYPER');
    expect(t.resolve(0xc, 8, 64).error).toMatch(/misaligned/);
    expect(t.resolve(0x420, 2, 64).error).toMatch(/8- and 32-bit/);
    expect(t.resolve(0x43c, 4, 64).row?.name).toBe('GICX_PRIO'); // INTIDs 60-63 exist
    expect(t.resolve(0x440, 4, 64)).toMatchObject({ row: undefined, refused: expect.stringMatching(/INTID 64 does not exist/) });
    expect(t.resolve(0x440, 4, 96).row?.name).toBe('GICX_PRIO');
    expect(t.resolve(0x1000, 4, 64).error).toMatch(/outside the test frame/);
    expect(t.resolve(0x14, 4, 64)).toEqual({ row: undefined, reg: 'GICX+0x14', unclaimed: true });
  });
});

describe('helpers', () => {
  it('VGIC_ADDR_TO_INTID', () => {
    expect(addrToIntid(0x84, 1)).toBe(32);
    expect(addrToIntid(0x421, 8)).toBe(33);
    expect(addrToIntid(0xc08, 2)).toBe(32);
    expect(addrToIntid(0x6100, 64)).toBe(32);
    expect(addrToIntid(0x6104, 64)).toBe(32);
    expect(addrToIntid(0x10400, 8)).toBe(0);
  });

  it('extract_bytes and update_64bit_reg', () => {
    expect(extractBytes(0x1122334455667788n, 4, 4)).toBe(0x11223344n);
    expect(update64(0x1122334455667788n, 4, 4, 0xaabbccddn)).toBe(0xaabbccdd55667788n);
    expect(update64(0x1122334455667788n, 0, 8, 0x1n)).toBe(0x1n);
  });
});

describe('formatFieldList', () => {
  // The bigint definition the Number fast path must reproduce.
  const reference = (fields: readonly FieldDef[], value: bigint): string =>
    fields
      .map((f) => ({ f, v: (value >> BigInt(f.lsb)) & ((1n << BigInt(f.width)) - 1n) }))
      .filter(({ v }) => v !== 0n)
      .map(({ f, v }) => `${f.name}=${f.width >= 8 ? `0x${v.toString(16)}` : v.toString(10)}`)
      .join(' ') || 'all fields 0';

  test('GICD_CTLR-like fields: small fields in decimal, wide ones in hex, zero fields left out', () => {
    const fields = [{ name: 'EnableGrp1', lsb: 1, width: 1 }, { name: 'ARE', lsb: 4, width: 1 }, { name: 'ID', lsb: 8, width: 23 }, { name: 'Top', lsb: 31, width: 1 }];
    expect(formatFieldList(fields, 0x12n)).toBe('EnableGrp1=1 ARE=1');
    expect(formatFieldList(fields, 0x80000000n)).toBe('Top=1');
    expect(formatFieldList(fields, 0xabcdef00n)).toBe('ID=0x2bcdef Top=1');
    expect(formatFieldList(fields, 0n)).toBe('all fields 0');
  });

  test('equals the bigint definition for fields anywhere in 64 bits and values of any size', () => {
    let x = 0x9e3779b9;
    const r = () => (x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0);
    for (let it = 0; it < 5000; it++) {
      const fields: FieldDef[] = [];
      for (let k = r() % 6; k >= 0; k--) {
        const lsb = r() % 64;
        fields.push({ name: `F${k}`, lsb, width: 1 + (r() % (64 - lsb)) });
      }
      const value = r() % 3 === 0 ? (BigInt(r()) << 32n) | BigInt(r()) : BigInt(r() >>> (r() % 32));
      expect(formatFieldList(fields, value)).toBe(reference(fields, value));
    }
  });
});

describe('the one rule for ignored writes: an effect only for bits that do not read back', () => {
  it('RAZ/WI: a write of 0 leaves no effect, any 1 bit does', () => {
    const w = wi<null>('X is RAZ/WI');
    expect(w(null, 0, 0, 4, 0n)).toBeUndefined();
    expect(w(null, 0, 0, 4, 0x10n)).toBe('ignored: X is RAZ/WI');
  });
  it('RO: writing the value it reads back (or 0) leaves no effect, other bits do (GICD_TYPER, GICR_IIDR alike)', () => {
    const w = ro<null>('GICD_TYPER', () => 0x7880ffn);
    expect(w(null, 0, 4, 4, 0n)).toBeUndefined();
    expect(w(null, 0, 4, 4, 0x7880ffn)).toBeUndefined();
    expect(w(null, 0, 4, 4, 0x100n)).toBe('ignored: GICD_TYPER is read-only');
  });
  it('RAO/WI: every bit reads back as 1, so no write leaves an effect', () => {
    const w = ignoredWrite<null>('STATUSR is RAO/WI', rao);
    expect(w(null, 0, 0, 4, 0n)).toBeUndefined();
    expect(w(null, 0, 0, 4, 0xffffffffn)).toBeUndefined();
    expect(raz()).toBe(0n);
  });
});

describe('uaccess column', () => {
  const guestRead = () => 1n;
  const userRead = () => 2n;
  const guestWrite = () => 'guest';
  it("'same' is the guest's handlers, 'none' is -ENXIO, an absent handler in an object is the guest's", () => {
    expect(userReadOf(row('A', 0, 4, W32, { read: guestRead }))).toBe(guestRead);
    expect(userReadOf(row('A', 0, 4, W32, { uaccess: 'none' }))).toBeNull();
    expect(userWriteOf(row('A', 0, 4, W32, { uaccess: 'none' }))).toBeNull();
    const r = row('A', 0, 4, W32, { read: guestRead, write: guestWrite, uaccess: { read: userRead } });
    expect(userReadOf(r)).toBe(userRead);
    expect(userWriteOf(r)).toBe(guestWrite);
  });
});
