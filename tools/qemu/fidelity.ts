// Fidelity report over the imported QEMU traces (default: every traces/qemu/*.gtr):
//   npx tsc -p tsconfig.json && node dist/tools/qemu/fidelity.js [--policy rev3] [--all] [TRACE...]
// Exit 1 when a read difference is unexplained.

import * as fs from 'fs';
import * as path from 'path';
import { getPolicy } from '../../engine/policy/policy';
import { fidelityReport, formatFidelity } from '../../engine/fidelity/qemu';
import { projectRoot } from '../../engine/util/project-root';

function main(): number {
  const args = process.argv.slice(2);
  const pi = args.indexOf('--policy');
  const policyId = pi >= 0 ? args.splice(pi, 2)[1] : 'rev3';
  const all = args.includes('--all');
  const files = args.filter((a) => !a.startsWith('--'));
  const dir = path.join(projectRoot(), 'traces', 'qemu');
  const traces = files.length ? files : fs.readdirSync(dir).filter((f) => f.endsWith('.gtr')).sort().map((f) => path.join(dir, f));
  const policy = getPolicy(policyId);
  const reports = traces.map((t) => fidelityReport(t, policy, path.basename(t)));
  for (const l of formatFidelity(reports, all ? Infinity : 20)) process.stdout.write(`${l}\n`);
  return reports.some((r) => r.unexplained.length) ? 1 : 0;
}

process.exitCode = main();
