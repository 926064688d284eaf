// Round-trip test of the record ring (record-ring.ts), both ends on one thread: every record
// comes out equal to the record that went in (as values: the renderer reads values), in order,
// whether it travelled as numbers or whole; the string table, nulls, -1 indexes, 64-bit values,
// errno results and the unmodelled flag included. The check-thread tests hold the rendered bytes.

import { MessageChannel } from 'worker_threads';
import { ReplayRecord } from '../replay/records';
import { RecordReader, recordRingBytes, RecordWriter } from './record-ring';

/** A ring of `entries` whose reader runs whenever the writer would wait (as the thread would). */
function ring(entries: number) {
  const sab = new SharedArrayBuffer(recordRingBytes(entries) + 64);
  const { port1, port2 } = new MessageChannel();
  // Offset 64: a stream need not start its buffer.
  const spec = { sab, at: 64, entries, port: port2 };
  const r = new RecordReader(spec);
  const out: ReplayRecord[] = [];
  const drain = () => {
    for (let n = r.waiting(); n > 0; n--) out.push(r.next());
    r.release();
  };
  let waits = 0;
  const w = new RecordWriter(spec, port1, () => undefined, () => {
    waits++;
    drain();
  });
  return { w, r, out, drain, waits: () => waits, close: () => (port1.close(), port2.close()) };
}

const big = 0xffff_ffff_ffff_ffffn;
const records: ReplayRecord[] = [
  { op: 'read', index: 0, cycle: 0n, cpu: 0, src: 'guest', via: 'mmio', reg: 'GICD_CTLR', offset: 0, size: 4, value: 0x12n, recorded: 0x12n, unmodelled: false, note: undefined },
  { op: 'read', index: 1, cycle: big, cpu: null, src: 'guest', via: 'mmio', reg: 'GICD_CTLR', offset: 0, size: 4, value: big, recorded: null },
  { op: 'read', index: 2, cycle: 5n, cpu: 3, src: 'guest', via: 'sysreg', reg: 'ICC_IAR1_EL1', offset: null, size: 8, value: 1023n, recorded: 27n, unmodelled: true },
  { op: 'read', index: 3, cycle: 6n, cpu: 1, src: 'user', via: 'user', reg: 'GICR_TYPER', offset: 0x8, size: 8, value: 0n, recorded: null, unmodelled: false, result: 6 },
  { op: 'read', index: 4, cycle: 7n, cpu: 0, src: 'guest', via: 'mmio', reg: 'GICD_ISPENDR1', offset: 0x104, size: 4, value: 1n, recorded: 1n, note: 'a note makes it travel whole' },
  { op: 'write', index: 5, cycle: 8n, cpu: 0, src: 'guest', via: 'mmio', reg: 'GICD_IGROUPR0', offset: 0x80, size: 4, value: 0xffffffffn, effect: 'ignored: RAZ/WI under this revision', unmodelled: false },
  { op: 'write', index: -1, cycle: 9n, cpu: 2, src: 'timer', via: 'line', reg: 'PPI 27', offset: null, size: 0, value: 1n, effect: 'pending' },
  { op: 'write', index: 6, cycle: 10n, cpu: null, src: 'line', via: 'line', reg: 'SPI 40', offset: null, size: 0, value: 0n, effect: 'ignored: RAZ/WI under this revision' },
  { op: 'write', index: 7, cycle: 11n, cpu: 0, src: 'user', via: 'user', reg: 'GICD_CTLR', offset: 0, size: 4, value: 2n, effect: 'KVM returns EINVAL', result: 22 },
  { op: 'irq', cpu: 1, level: 1, cycle: 12n, index: -1 },
  { op: 'fiq', cpu: 0, level: 0, cycle: 13n, index: 8 },
  { op: 'irq', cpu: 0, level: 1, cycle: 14n, index: 9, notComparable: 'timer' },
  { op: 'marker', index: 10, cycle: 15n, cpu: null, text: 'boot' },
  { op: 'write', index: 11, cycle: 16n, cpu: 0, src: 'guest', via: 'mmio', reg: 'GICD_CTLR', offset: 0, size: 4, value: 3n, effect: 'x'.repeat(5000) },
  { op: 'read', index: 0x8000_0000, cycle: 17n, cpu: 0, src: 'guest', via: 'mmio', reg: 'GICD_CTLR', offset: 0, size: 4, value: 1n, recorded: 1n },
];

/** Records as values: undefined fields and absent ones are the same to the renderer. */
const values = (rs: ReplayRecord[]) => rs.map((x) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)));

test('records come out as they went in, in order, across the ring\'s wrap', () => {
  const { w, out, drain, waits, close } = ring(16);
  // Three rounds through a 16-entry ring: the writer waits for room again and again.
  for (let round = 0; round < 3; round++) for (const rec of records) w.add(rec);
  w.publish();
  drain();
  expect(waits()).toBeGreaterThan(1);
  expect(w.lines).toBe(3 * records.length);
  expect(values(out)).toEqual(values([...records, ...records, ...records]));
  close();
});

test('each string crosses once: the table names it after that', () => {
  const { w, out, drain, close } = ring(64);
  const posted = jest.spyOn((w as unknown as { port: { postMessage: (m: unknown) => void } }).port, 'postMessage');
  for (let i = 0; i < 10; i++) w.add(records[0]);
  w.publish();
  drain();
  expect(posted).toHaveBeenCalledTimes(1);
  expect(values(out)).toEqual(values(Array(10).fill(records[0])));
  close();
});

test('a stream the thread gave up on is passed over: the writer never waits for room', () => {
  const { w, r, waits, close } = ring(16);
  for (let i = 0; i < 200; i++) {
    w.add(records[i % records.length]);
    if (i % 8 === 7) {
      w.publish();
      r.skip(r.waiting());
      r.release();
    }
  }
  expect(waits()).toBe(0);
  expect(r.waiting()).toBe(0);
  close();
});
