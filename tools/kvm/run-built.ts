// Run programs built elsewhere (kvm-selftests exported by `gicreplay export --format kvm-selftest`
// and built in a kernel tree: tools/kvm/selftest-6.1.sh) on the nested KVM host, in one boot per
// GIC version, with tools/kvm/repro-init.c as /init. Prints each program's TAP failures and exit
// status; exits 0 when every program's status is the one expected (default 0).
//   npx tsc -p tsconfig.json && node dist/tools/kvm/run-built.js [--gic 2|3] [--expect-fail] BIN…

import * as path from 'path';
import { NestedHost } from '../../engine/backend/kvm/host';
import { runRepros } from '../../engine/export/run';

function main(): number {
  const args = process.argv.slice(2);
  let gic: 2 | 3 = 3;
  const bins: { bin: string; want: 'pass' | 'fail' }[] = [];
  let want: 'pass' | 'fail' = 'pass';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--gic') gic = args[++i] === '2' ? 2 : 3;
    else if (args[i] === '--expect-fail') want = 'fail';
    else if (args[i] === '--expect-pass') want = 'pass';
    else bins.push({ bin: path.resolve(args[i]), want });
  }
  if (!bins.length) {
    process.stderr.write('usage: node dist/tools/kvm/run-built.js [--gic 2|3] [--expect-pass|--expect-fail] BIN…\n');
    return 2;
  }
  const runs = runRepros(bins.map((b) => ({ name: path.basename(b.bin), text: '', bin: b.bin, gic })), new NestedHost());
  let bad = 0;
  runs.forEach((r, i) => {
    const oks = r.output.filter((l) => /^ok /.test(l)).length;
    const good = bins[i].want === 'pass' ? r.exit === 0 : r.exit !== 0 && r.exit !== null;
    if (!good) bad++;
    process.stdout.write(`${good ? 'ok  ' : 'FAIL'} ${r.name}: exit ${r.exit ?? 'killed'} (expected ${bins[i].want === 'pass' ? '0' : 'a failure'}), ${oks} checks passed\n`);
    for (const l of r.output.filter((x) => !/^ok /.test(x) && !/^(TAP version|1\.\.)/.test(x)).slice(0, 12)) process.stdout.write(`    ${l}\n`);
  });
  return bad ? 1 : 0;
}

process.exitCode = main();
