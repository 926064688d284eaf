// minimize --backend kvm on the nested host (Debian's 6.1 at EL2 under QEMU): the model is made to
// differ from the kernel through a policy ("my": rev3, but guest IGROUPR writes dropped below
// revision 4), so the IGROUPR guest's first unexplained difference is cpu1's GICR_IGROUPR0
// read-back (the model 0xffffffff, KVM the written 0xffff). The minimiser keeps the write and the
// read, each ddmin round's candidates in one boot; a trace the model and KVM agree on is refused.
// Boots are few on purpose (CI time): the counts are asserted. The command line is held to the
// library's run (the same trace bytes and report from a second, independent minimisation), its
// --max-replays bound and its exit codes, in 7 more boots.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NestedHost } from '../backend/kvm/host';
import { UsageError } from '../errors';
import { getPolicy, loadPolicyFile } from '../policy/policy';
import { readTrace } from '../trace/reader';
import { projectRoot } from '../util/project-root';
import { runCli } from '../../tools/cli/testing/run';
import { minimizedToJson, minimizeFile, writeMinimized } from '.';

jest.setTimeout(600_000);

const root = projectRoot();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-kvm-min-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const IGROUPR = 'traces/guests/igroupr-rw-v3.gtr';
const pol = path.join(tmp, 'my.json');
fs.writeFileSync(pol, JSON.stringify({ schema: 1, id: 'my', extends: 'rev3', guestGroupWrites: { minRevision: 4 } }));
/** The library's minimisation of the IGROUPR guest under "my": its trace file and --json report. */
let library: { bytes: Buffer; json: string } | undefined;

describe('minimize --backend kvm (nested 6.1)', () => {
  const host = new NestedHost();

  test('the model made to drop guest IGROUPR writes: the minimal trace is the write and the read-back KVM answers otherwise', () => {
    const r = minimizeFile(path.join(root, IGROUPR), { kind: 'kvm', policy: loadPolicyFile(pol), host });
    const out = path.join(tmp, 'library.gtr');
    writeMinimized(out, r, [path.join(root, IGROUPR)]);
    library = { bytes: fs.readFileSync(out), json: minimizedToJson(IGROUPR, r, path.join(tmp, 'cli.gtr')) };
    expect(r.kept).toEqual([1, 4]);
    expect(r.target.index).toBe(4);
    expect(r.target.describe).toBe('cpu1 read GICR_IGROUPR0: model (my) 0xffffffff, KVM 0xffff');
    expect(r.header.gic.spis).toBe(32);
    expect(r.header.gic.cpus).toHaveLength(2);
    // The original run, the causal slice, ddmin's round and the SPI tries: one boot each.
    expect({ boots: r.boots, replays: r.replays, bounded: r.bounded }).toEqual({ boots: 4, replays: 4, bounded: false });
    expect(r.steps.map((s) => s.phase)).toEqual(['prefix', 'causal slice', 'delta debugging', 'SPIs']);
  });

  test('a trace the model and KVM agree on: "nothing to minimise" (one boot)', () => {
    let err: unknown;
    try {
      minimizeFile(path.join(root, 'traces/witnesses/igroupr-guest-write-rev1-v3.gtr'), { kind: 'kvm', policy: getPolicy('linux-6.1'), host });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^nothing to minimise: .*igroupr-guest-write-rev1-v3\.gtr shows no unexplained difference between the model under linux-6\.1 and KVM \(`gicreplay fidelity .* --policy linux-6\.1` lists every difference\)$/);
  });
});

describe('gicreplay minimize --backend kvm on the command line (nested 6.1)', () => {
  test('exit 0 with the same trace and report as the library\'s own run; --max-replays 2 stops after 2 replays in 2 boots, keeping the last candidate KVM confirmed (2 events, the 64 SPIs unshrunk); exit 2 for nothing to minimise and bad arguments', async () => {
    const out = path.join(tmp, 'cli.gtr');
    const r = await runCli(['minimize', IGROUPR, '--backend', 'kvm', '--policy-file', pol, '-o', out, '--json']);
    expect([r.code, r.err]).toEqual([0, '']);
    // Same input, two minimisations (the library's above, this one): byte-identical.
    expect(library).toBeDefined();
    expect(fs.readFileSync(out).equals(library!.bytes)).toBe(true);
    expect(r.out.trim()).toBe(library!.json);

    const bounded = path.join(tmp, 'bounded.gtr');
    const b = await runCli(['minimize', IGROUPR, '--backend', 'kvm', '--policy-file', pol, '-o', bounded, '--max-replays', '2', '--json']);
    expect([b.code, b.err]).toEqual([0, '']);
    const bj = JSON.parse(b.out);
    expect({ replays: bj.replays, boots: bj.boots, bounded: bj.bounded, kept: bj.kept }).toEqual({ replays: 2, boots: 2, bounded: true, kept: [1, 4] });
    expect(bj.steps.map((x: { phase: string; replays: number }) => [x.phase, x.replays])).toEqual([['prefix', 1], ['causal slice', 2], ['delta debugging', 2]]);
    // Not shrunk further than the budget allowed: the 64 SPIs stay (the SPI step never ran).
    expect(readTrace(bounded).header.gic.spis).toBe(64);
    expect(readTrace(bounded).events).toHaveLength(2);

    const none = await runCli(['minimize', 'traces/witnesses/igroupr-guest-write-rev1-v3.gtr', '--backend', 'kvm', '--policy', 'linux-6.1', '-o', path.join(tmp, 'none.gtr')]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('nothing to minimise: traces/witnesses/igroupr-guest-write-rev1-v3.gtr shows no unexplained difference between the model under linux-6.1 and KVM');
    expect(fs.existsSync(path.join(tmp, 'none.gtr'))).toBe(false);
    // Refused before any boot.
    for (const bad of [['--max-replays', '0'], ['--at', '3']]) {
      const u = await runCli(['minimize', IGROUPR, '--backend', 'kvm', '--policy-file', pol, '-o', path.join(tmp, 'bad.gtr'), ...bad]);
      expect([bad, u.code]).toEqual([bad, 2]);
    }
  });
});
