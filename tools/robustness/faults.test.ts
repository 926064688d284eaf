// The fault campaign's light cases (tools/robustness/cases.ts), one test each: every class of
// issue 18 — output targets, prune, hand-edit repair, golden references, shard reports, bounded
// readers, special files, full disks, read-only trees, the lock, leftovers, format holes —
// reproduced against the real CLI. Root-only cases (tmpfs, bind mounts, chattr, a private /dev)
// run where the tests run as root, as CI does; `npm run fuzz` runs every case, the heavy ones too.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { projectRoot } from '../../engine/util/project-root';
import { CaseContext, failures, FAULT_CASES, makeTemplate, needsMet } from './cases';

const CLI = path.join(projectRoot(), 'bin', 'gicreplay');

describe('fault campaign (light cases)', () => {
  let tmp: string;
  let template: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-faults-t-'));
    template = makeTemplate(CLI, tmp);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const fc of FAULT_CASES) {
    if (fc.heavy) continue;
    const run = needsMet(fc) ? test : test.skip;
    run(`${fc.cls}: ${fc.id}`, async () => {
      const ctx = new CaseContext(CLI, fs.mkdtempSync(path.join(tmp, 'case-')), template, 30000);
      try {
        expect(failures(await fc.run(ctx))).toEqual([]);
      } finally {
        fs.rmSync(ctx.tmp, { recursive: true, force: true });
      }
    }, 90000);
  }
});
