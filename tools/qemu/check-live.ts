// CI check: record the bare-metal test guests live under QEMU and compare each event stream with
// its checked-in trace (traces/qemu/live-*.gtr). `--bless` re-records the checked-in traces
// (refused when CI=true).
//   npx tsc -p tsconfig.json && node dist/tools/qemu/check-live.js [--bless]

import { checkLiveRecordings } from '../../engine/sources/qemu/live-check';
import { isCi } from '../../engine/util/ci';

function main(): number {
  const bless = process.argv.includes('--bless');
  if (bless && isCi(process.env)) {
    process.stderr.write('check-live: refusing --bless on CI\n');
    return 2;
  }
  let bad = 0;
  for (const r of checkLiveRecordings(bless)) {
    if (r.blessed) process.stdout.write(`blessed traces/qemu/${r.rec.name}.gtr\n`);
    else if (r.difference === null) process.stdout.write(`ok   ${r.rec.name}: identical event stream\n`);
    else {
      bad++;
      process.stdout.write(`FAIL ${r.rec.name}: ${r.difference}\n`);
    }
  }
  return bad ? 1 : 0;
}

process.exitCode = main();
