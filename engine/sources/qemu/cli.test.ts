// The `gicreplay import qemu` command: exit codes and messages, through the real CLI entry point.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../../../tools/cli/testing/run';
import { openTrace } from '../../trace/reader';
import { formatImportSummary, importQemuLogToFile } from './importer';

const FIX = path.join(__dirname, 'fixtures');

const run = runCli;

describe('gicreplay import qemu', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qemu-cli-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('imports a gzip\'d log: exit 0 and a valid trace', async () => {
    const out = path.join(dir, 'g3.gtr');
    const r = await run(['import', 'qemu', path.join(FIX, 'gic3-baremetal-smp2.log.gz'), '--gic', '3', '-o', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const t = openTrace(out);
    expect(t.header.gic.cpus).toHaveLength(2);
    t.close();
  });

  test('malformed log: exit 2 and the file and line in the message', async () => {
    const bad = path.join(dir, 'bad.log');
    fs.writeFileSync(bad, 'gicv3_dist_read GICv3 distributor read: offset 0x0 data 0x0 size 4 secure 0\ngicv3_icc_pmr_read GICv3 ICC_PMR read cpu 0x0\n');
    const r = await run(['import', 'qemu', bad, '--gic', '3', '-o', path.join(dir, 'x.gtr')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${bad}, line 2: malformed gicv3_icc_pmr_read line`);
    expect(fs.existsSync(path.join(dir, 'x.gtr'))).toBe(false);
  });

  test('--skip-unknown: exit 0, the count in the header and in the summary', async () => {
    const log = path.join(dir, 'unk.log');
    fs.writeFileSync(log, 'gicv3_dist_read GICv3 distributor read: offset 0x0 data 0x0 size 4 secure 0\nsomething_else happened\n');
    expect((await run(['import', 'qemu', log, '--gic', '3', '-o', path.join(dir, 'u.gtr')])).code).toBe(2);
    const r = await run(['import', 'qemu', log, '--gic', '3', '-o', path.join(dir, 'u.gtr'), '--skip-unknown']);
    expect(r.code).toBe(0);
    const t = openTrace(path.join(dir, 'u.gtr'));
    expect(t.header.provenance.details.skippedUnknown).toBe('1');
    t.close();
    const { stats, trailer } = importQemuLogToFile(log, path.join(dir, 'u2.gtr'), { gic: 3, skipUnknown: true });
    expect(formatImportSummary('u2.gtr', stats, trailer)).toContain('skipped 1 unknown, unsupported or malformed lines (--skip-unknown)');
  });

  test('--gic is required and must be 2 or 3', async () => {
    expect((await run(['import', 'qemu', path.join(FIX, 'gic3-baremetal-smp2.log.gz')])).code).toBe(2);
    expect((await run(['import', 'qemu', path.join(FIX, 'gic3-baremetal-smp2.log.gz'), '--gic', '4'])).code).toBe(2);
  });
});
