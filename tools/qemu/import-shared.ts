// Re-runnable import of the twelve shared QEMU recordings (../shared/qemu-traces/logs) into
// traces/qemu/, plus the small raw-log fixtures the tests read (engine/sources/qemu/fixtures/), so
// that nothing at run time or test time needs ../shared.
//
//   npx ts-node --transpile-only tools/qemu/import-shared.ts [--shared DIR]

import * as fs from 'fs';
import * as path from 'path';
import { importQemuLogToFile } from '../../engine/sources/qemu/importer';
import { readLogText } from '../../engine/sources/qemu/log-text';
import { writeOutputFile } from '../../engine/util/output-file';
import { projectRoot } from '../../engine/util/project-root';

/** The QEMU command of each run, from ../shared/qemu-traces/record.sh (kernel and guest paths shortened). */
const K = 'vmlinuz-6.1.0-56-arm64';
const LNX = (gic: number, smp: number) => `qemu-system-aarch64 -M virt,gic-version=${gic} -cpu cortex-a57 -m 512 -nographic -no-reboot -kernel ${K} -smp ${smp}`;
const BM = (gic: number, smp: number) => `qemu-system-aarch64 -M virt,gic-version=${gic} -cpu cortex-a57 -m 128 -nographic -no-reboot -smp ${smp}`;
const APP = "-append 'console=ttyAMA0 panic=-1'";
const EV = (gic: number) => (gic === 3 ? "-trace 'gicv3_*'" : "-trace 'gic_*'");

const RUNS: { name: string; gic: 2 | 3; command: string }[] = [
  { name: 'gic3-linux-smp2', gic: 3, command: `${LNX(3, 2)} ${APP} ${EV(3)} -D LOG` },
  { name: 'gic3-linux-smp4', gic: 3, command: `${LNX(3, 4)} ${APP} ${EV(3)} -D LOG` },
  { name: 'gic2-linux-smp2', gic: 2, command: `${LNX(2, 2)} ${APP} ${EV(2)} -D LOG` },
  { name: 'gic2-linux-smp4', gic: 2, command: `${LNX(2, 4)} ${APP} ${EV(2)} -D LOG` },
  { name: 'gic3-linux-initrd-smp2', gic: 3, command: `${LNX(3, 2)} -initrd initrd.cpio.gz ${APP} ${EV(3)} -D LOG` },
  { name: 'gic2-linux-initrd-smp2', gic: 2, command: `${LNX(2, 2)} -initrd initrd.cpio.gz ${APP} ${EV(2)} -D LOG` },
  { name: 'gic3-linux-smp2-tid', gic: 3, command: `${LNX(3, 2)} ${APP} -msg timestamp=on ${EV(3)} -D LOG` },
  { name: 'gic3-baremetal-smp2', gic: 3, command: `${BM(3, 2)} -accel tcg,thread=single -kernel gicv3-guest.elf ${EV(3)} -D LOG` },
  { name: 'gic3-baremetal-smp1', gic: 3, command: `${BM(3, 1)} -accel tcg,thread=single -kernel gicv3-guest.elf ${EV(3)} -D LOG` },
  { name: 'gic3-baremetal-smp2-tid', gic: 3, command: `${BM(3, 2)} -msg timestamp=on -kernel gicv3-guest.elf ${EV(3)} -D LOG` },
  { name: 'gic2-baremetal-smp2', gic: 2, command: `${BM(2, 2)} -accel tcg,thread=single -kernel gicv2-guest.elf ${EV(2)} -D LOG` },
  { name: 'gic2-baremetal-smp2-tid', gic: 2, command: `${BM(2, 2)} -msg timestamp=on -kernel gicv2-guest.elf ${EV(2)} -D LOG` },
];

/** Lines the parser tests want beyond the first of each event name: PPI on CPU1, 64-bit ITS read, 64-bit GICD_IROUTER write, the ITS's second and third commands. */
const EXTRA_LINES: Record<2 | 3, RegExp[]> = {
  // The ITS commands after the first: each decoded command line needs its "processing command" line before it.
  3: [/^gicv3_its_read .* size 8$/, /^gicv3_dist_write .*offset 0x6[0-9a-f]{3} .* size 8 /, /^gicv3_redist_set_irq GICv3 redistributor 0x1 /, /^gicv3_its_process_command .* offset 0x1: /, /^gicv3_its_process_command .* offset 0x2: /],
  2: [/^gic_set_irq irq 27 level 1 cpumask 0x2 /, /^gic_cpu_write cpu 1 /],
};

/** Raw logs the tests parse, copied byte for byte. */
const FIXTURE_LOGS = ['gic3-baremetal-smp2', 'gic3-baremetal-smp2-tid', 'gic2-baremetal-smp2', 'gic2-baremetal-smp2-tid'];

function main(): void {
  const root = projectRoot();
  const i = process.argv.indexOf('--shared');
  const shared = i >= 0 ? path.resolve(process.argv[i + 1]) : path.resolve(root, '..', 'shared', 'qemu-traces');
  const logs = path.join(shared, 'logs');
  const version = fs.readFileSync(path.join(logs, 'versions.txt'), 'utf8').split('\n')[0].trim();
  const outDir = path.join(root, 'traces', 'qemu');
  const fixDir = path.join(root, 'engine', 'sources', 'qemu', 'fixtures');
  for (const r of RUNS) {
    const log = path.join(logs, `${r.name}.log.gz`);
    const out = path.join(outDir, `${r.name}.gtr`);
    const { stats, trailer } = importQemuLogToFile(log, out, { gic: r.gic, tool: version, command: r.command.replace('LOG', `${r.name}.log`), logName: `${r.name}.log.gz` });
    process.stdout.write(`${path.relative(root, out)}: ${trailer.events} events, ${stats.accesses} accesses, ${stats.lineChanges} line changes\n`);
  }
  for (const name of FIXTURE_LOGS) {
    fs.mkdirSync(fixDir, { recursive: true });
    writeOutputFile(path.join(fixDir, `${name}.log.gz`), fs.readFileSync(path.join(logs, `${name}.log.gz`)), { what: 'QEMU log fixture' });
  }
  // One real line of every event name the recordings contain, per GIC version, first occurrence
  // in RUNS order, timestamp prefix removed: the parser tests' "each line format" corpus.
  for (const gic of [3, 2] as const) {
    const seen = new Set<string>();
    const picked: string[] = [];
    for (const r of RUNS.filter((x) => x.gic === gic)) {
      for (const line of readLogText(path.join(logs, `${r.name}.log.gz`)).split('\n')) {
        const s = line.replace(/^[0-9]+@[0-9.]+:/, '');
        const name = s.split(' ')[0];
        if (!name) continue;
        const extra = EXTRA_LINES[gic].findIndex((re) => re.test(s) && !seen.has(re.source));
        if (extra >= 0) {
          seen.add(EXTRA_LINES[gic][extra].source);
          picked.push(s);
          continue;
        }
        if (seen.has(name)) continue;
        seen.add(name);
        picked.push(s);
      }
    }
    writeOutputFile(path.join(fixDir, `real-lines-gic${gic}.log`), picked.join('\n') + '\n', { what: 'QEMU log fixture' });
    process.stdout.write(`fixtures/real-lines-gic${gic}.log: ${picked.length} event names\n`);
  }
}

main();
