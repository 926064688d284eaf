import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findTraceFiles } from '../../engine/util/trace-files';
import { projectRoot } from '../../engine/util/project-root';
import { runCampaign, syntheticTrace } from './campaign';

// The deterministic sample of `npm run fuzz`: same generators, fixed seed, small counts.
describe('corrupted traces through reader and replay', () => {
  let tmp: string;
  let synth: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gicreplay-fuzzt-'));
    synth = path.join(tmp, 'synthetic.gtr');
    syntheticTrace(synth);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('never throws anything but an InputError that names the file and the position', () => {
    const real = findTraceFiles(path.join(projectRoot(), 'traces')).filter((f) => fs.statSync(f).size < 16 * 1024).slice(0, 2);
    const res = runCampaign({ bases: [synth, ...real], runsPerBase: 300, seed: 42, exhaustiveTruncation: true });
    expect(res.defects.map((d) => `${d.label}: ${d.outcome.kind === 'defect' ? d.outcome.message : ''}`)).toEqual([]);
    expect(res.rejected).toBeGreaterThan(0);
    // The base traces themselves and harmless corruptions (e.g. a flipped marker character) are accepted.
    expect(res.accepted).toBeGreaterThan(0);
    expect(res.tried).toBeGreaterThan(1000);
  });
});
