import { parseFtraceLine, EventLine } from './line';
import { formatNs, parseTimestamp } from './timestamp';

function ev(text: string): EventLine {
  const p = parseFtraceLine(text);
  if (!p || p.kind !== 'event') throw new Error(`not an event line: ${text}`);
  return p;
}

describe('ftrace line layouts', () => {
  test('tracefs, recent kernel: pid width 7, 5-character flags', () => {
    const p = ev('       CPU 0/KVM-3091    [002] d..1.   812.406111: kvm_entry: PC: 0xffff800080a1c2f4');
    expect(p).toMatchObject({ comm: 'CPU 0/KVM', pid: 3091, tgid: null, hostCpu: 2, flags: 'd..1.', tsText: '812.406111', event: 'kvm_entry', payload: ' PC: 0xffff800080a1c2f4' });
    expect(p.ts).toEqual({ value: 812_406_111_000n, fractional: true });
  });

  test('tracefs, older kernel: pid width 5, 4-character flags', () => {
    const p = ev('       CPU 1/KVM-3092  [005] d.h1   812.410000: kvm_timer_update_irq: VCPU: 1, IRQ 27, level 1');
    expect(p).toMatchObject({ comm: 'CPU 1/KVM', pid: 3092, hostCpu: 5, flags: 'd.h1', event: 'kvm_timer_update_irq' });
  });

  test('record-tgid column, with a number or with dashes', () => {
    expect(ev('       CPU 0/KVM-3091    (   3080) [002] ...1.   812.406107: kvm_mmio: mmio write len 4 gpa 0x8000104 val 0x8000000')).toMatchObject({ pid: 3091, tgid: 3080, hostCpu: 2 });
    expect(ev('          <idle>-0       (-------) [004] d.h1.   812.416000: kvm_timer_hrtimer_expire: arch_timer_ctx_index: 0')).toMatchObject({ comm: '<idle>', pid: 0, tgid: null });
  });

  test('trace-cmd report: no flags column, padded event name', () => {
    const p = ev('       CPU 0/KVM-2201  [001]  1503.100012: kvm_mmio:                mmio write len 4 gpa 0x9000000 val 0x42');
    expect(p).toMatchObject({ comm: 'CPU 0/KVM', pid: 2201, hostCpu: 1, flags: null, event: 'kvm_mmio' });
    expect(p.payload.trim()).toBe('mmio write len 4 gpa 0x9000000 val 0x42');
  });

  test('the pid is the last -digits before the CPU column (comm with dashes and digits)', () => {
    expect(ev('      vhost-3080-3101    [003] d.h1.   812.500000: vgic_update_irq_pending: VCPU: 0, IRQ 48, level: 1')).toMatchObject({ comm: 'vhost-3080', pid: 3101 });
    expect(ev('           <...>-3091    [002] ...1.   812.5: kvm_entry: PC: 0x0')).toMatchObject({ comm: '<...>', pid: 3091 });
  });

  test('a header look-alike inside the event text is not taken for the header', () => {
    const p = ev('            bash-4100    [003] .....   812.5: tracing_mark_write: fake-12 [001] 1.0: kvm_mmio: x');
    expect(p).toMatchObject({ comm: 'bash', pid: 4100, hostCpu: 3, event: 'tracing_mark_write', payload: ' fake-12 [001] 1.0: kvm_mmio: x' });
  });

  test('bare counter timestamps (counter / uptime clocks)', () => {
    expect(ev('       CPU 0/KVM-3091    [002] ...1. 123456789: kvm_entry: PC: 0x0').ts).toEqual({ value: 123456789n, fractional: false });
  });

  test('comments, blank lines and trace-cmd preamble carry no event', () => {
    for (const s of ['# tracer: nop', '#', '', '   ', 'cpus=8', 'version = 6', 'CPU 3 is empty', '##### CPU 2 buffer started ####']) {
      expect(parseFtraceLine(s)).toEqual({ kind: 'skip' });
    }
  });

  test('ring-buffer overruns in both spellings', () => {
    expect(parseFtraceLine('CPU:2 [LOST 123 EVENTS]')).toEqual({ kind: 'lost', hostCpu: 2, count: 123n });
    expect(parseFtraceLine('CPU:0 [LOST EVENTS]')).toEqual({ kind: 'lost', hostCpu: 0, count: null });
    expect(parseFtraceLine('CPU:1 [9 EVENTS DROPPED]')).toEqual({ kind: 'lost', hostCpu: 1, count: 9n });
  });

  test('anything else is not a line', () => {
    expect(parseFtraceLine('kvm_mmio: mmio write len 4 gpa 0x8000000 val 0x0')).toBeNull();
    expect(parseFtraceLine('CPU 0/KVM-3091 [002] 812.406111 kvm_entry PC')).toBeNull();
    expect(parseFtraceLine('       CPU 0/KVM-3091    [002] ...1.   812.1234567891: kvm_entry: PC: 0x0')).toBeNull();
  });
});

describe('timestamps are exact integers', () => {
  test('microseconds and nanoseconds', () => {
    expect(parseTimestamp('812.406111')!.value).toBe(812_406_111_000n);
    expect(parseTimestamp('812.406111234')!.value).toBe(812_406_111_234n);
    expect(parseTimestamp('0.000001')!.value).toBe(1_000n);
  });

  test('no float rounding past 2^53 ns (about 104 days of uptime)', () => {
    // 2^53 + 1 ns as decimal seconds: a double would round it to 2^53.
    expect(parseTimestamp('9007199.254740993')!.value).toBe(9_007_199_254_740_993n);
    expect(formatNs(9_007_199_254_740_993n)).toBe('9007199.254740993');
  });

  test('rejects more than 9 fraction digits and non-digits', () => {
    expect(parseTimestamp('1.0000000001')).toBeNull();
    expect(parseTimestamp('1e3')).toBeNull();
    expect(parseTimestamp('-1.5')).toBeNull();
  });
});
