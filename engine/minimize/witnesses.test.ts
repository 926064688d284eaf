// The minimal witnesses in traces/witnesses/ (each made by `gicreplay minimize`, see
// traces/witnesses/README.md) still show the difference their header names, as their first
// difference between those two policies, and minimising them again removes nothing: they are
// regression traces for one policy rule each, and their goldens hold every policy's answer.

import * as fs from 'fs';
import * as path from 'path';
import { diffPolicies } from '../divergence/diff';
import { minimizeFile } from '.';
import { getPolicy } from '../policy/policy';
import { readTrace } from '../trace/reader';
import { projectRoot } from '../util/project-root';

const dir = path.join(projectRoot(), 'traces', 'witnesses');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.gtr')).sort();

test('there are witnesses', () => {
  expect(files.length).toBeGreaterThanOrEqual(6);
});

describe.each(files)('traces/witnesses/%s', (f) => {
  const file = path.join(dir, f);
  const { header, events } = readTrace(file);
  const d = header.provenance.details;
  const m = /^(\S+) vs (\S+): (.*) \(original event \d+\)$/.exec(d.minimizedDifference ?? '');

  it('names its difference, and its first divergence is that difference', () => {
    expect(m).not.toBeNull();
    const [, a, b, what] = m!;
    const r = minimizeFile(file, { kind: 'policies', a: getPolicy(a), b: getPolicy(b) });
    expect(r.target.describe).toBe(what);
    expect(diffPolicies(file, getPolicy(a), getPolicy(b)).first?.index).toBe(r.target.index);
  });

  it('is minimal: minimising it again keeps every event but markers', () => {
    const [, a, b] = m!;
    const r = minimizeFile(file, { kind: 'policies', a: getPolicy(a), b: getPolicy(b) });
    expect(r.events.length).toBe(events.filter((e) => !('text' in e)).length);
    expect(r.header.gic.cpus.length).toBe(header.gic.cpus.length);
    expect(r.header.gic.spis).toBe(header.gic.spis);
  });
});
