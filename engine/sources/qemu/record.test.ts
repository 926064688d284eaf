// Live recording under QEMU. Skips locally when qemu-system-aarch64 or the cross compiler is
// missing (and says so: Jest counts it as skipped); on CI (util/ci.ts isCi: CI=true, CI=1, …)
// their absence is a failure (CI installs them with tools/qemu/install.sh).
import { spawnSync } from 'child_process';
import { EventKind } from '../../trace/events';
import { checkLiveRecordings, LIVE_RECORDINGS, checkedInLiveTrace } from './live-check';
import { describeCommand, qemuArgs, qemuVersion } from './record';
import { openTrace } from '../../trace/reader';
import { isCi } from '../../util/ci';

const haveQemu = qemuVersion() !== null;
const haveGcc = !spawnSync('aarch64-linux-gnu-gcc', ['--version']).error;
const onCi = isCi(process.env);

describe('record qemu', () => {
  test('QEMU is run with the deterministic flags Debian\'s 7.2 accepts', () => {
    const args = qemuArgs({ gic: 3, smp: 2, guest: '/x/g.elf', out: 'o.gtr' }, '/tmp/l.log');
    const s = args.join(' ');
    for (const f of ['-accel tcg,thread=single', '-icount shift=1,sleep=off', '-seed 1', '-M virt,gic-version=3', '-cpu cortex-a57', '-smp 2', "-trace gicv3_*", '-D /tmp/l.log']) expect(s).toContain(f);
    expect(qemuArgs({ gic: 2, smp: 1, kernel: 'k', initrd: 'i', out: 'o' }, 'l').join(' ')).toContain("-kernel k -append console=ttyAMA0 panic=-1 -initrd i -trace gic_*");
    // --thread-ids: multi-threaded TCG with timestamps instead of one thread and icount
    const tid = qemuArgs({ gic: 3, smp: 2, guest: 'g', out: 'o', threadIds: true }, 'l').join(' ');
    expect(tid).toContain('-accel tcg,thread=multi -msg timestamp=on');
    expect(tid).not.toContain('-icount');
    // --virtio-blk: the disk on virtio-blk-pci, the ITS said explicitly, the file by base name in the header
    const blk = qemuArgs({ gic: 3, smp: 2, kernel: 'k', virtioBlk: '/d/disk.img', out: 'o' }, 'l');
    expect(blk.join(' ')).toContain('-M virt,gic-version=3,its=on');
    expect(blk.join(' ')).toContain('-drive file=/d/disk.img,if=none,format=raw,id=d0,readonly=on -device virtio-blk-pci,drive=d0');
    expect(describeCommand('qemu-system-aarch64', blk)).toContain('-drive file=disk.img,if=none');
    expect(describeCommand('/usr/bin/qemu-system-aarch64', args)).toContain('-kernel g.elf -trace \'gicv3_*\' -D l.log');
  });

  test('the checked-in live traces come from QEMU with both GIC versions', () => {
    for (const rec of LIVE_RECORDINGS) {
      const t = openTrace(checkedInLiveTrace(rec));
      expect(t.header.gic.version).toBe(rec.gic);
      expect(t.header.provenance.tool).toMatch(/^QEMU emulator version 7\.2/);
      let lines = 0;
      for (let e = t.next(); e; e = t.next()) if (e.kind === EventKind.Line) lines++;
      t.close();
      expect(lines).toBe(2); // the virtual timer PPI rising and falling
    }
  });

  const live = haveQemu && haveGcc ? test : onCi ? test : test.skip;
  live('a live recording of each bare-metal guest equals its checked-in event stream', () => {
    if (!haveQemu || !haveGcc) throw new Error('on CI (CI is set) but qemu-system-aarch64 or aarch64-linux-gnu-gcc is missing: run tools/qemu/install.sh');
    const results = checkLiveRecordings(false);
    expect(results.map((r) => [r.rec.name, r.difference])).toEqual(LIVE_RECORDINGS.map((r) => [r.name, null]));
  });
});
