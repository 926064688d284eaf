// CI check: record bare-metal test guests live on real KVM (the nested host) and compare each
// captured event stream with its checked-in trace (traces/ftrace/kvm-*.gtr), per vCPU and
// without host time. `--bless` re-records the checked-in traces and their raw ftrace text
// (refused when CI=true); names select recordings (default: all eight, 6.1 and 6.12; the Linux guests' compare their GIC MMIO accesses only).
//   npx tsc -p tsconfig.json && node dist/tools/kvm/check-live.js [--bless] [NAME…]

import * as path from 'path';
import { buildLinuxGuest, checkKvmLiveRecordings, KVM_LIVE_RECORDINGS } from '../../engine/backend/kvm/live-check';
import { buildGuests, guestsDir } from '../../engine/sources/qemu/live-check';
import { isCi } from '../../engine/util/ci';

function main(): number {
  const args = process.argv.slice(2);
  const bless = args.includes('--bless');
  if (bless && isCi(process.env)) {
    process.stderr.write('kvm check-live: refusing --bless on CI\n');
    return 2;
  }
  const only = args.filter((a) => !a.startsWith('--'));
  const err = buildGuests();
  if (err !== null) {
    process.stderr.write(`building the test guests failed: ${err}\n`);
    return 2;
  }
  const chosen = only.length ? KVM_LIVE_RECORDINGS.filter((r) => only.includes(r.name)) : KVM_LIVE_RECORDINGS;
  const linuxErr = chosen.some((r) => r.linux) ? buildLinuxGuest() : null;
  if (linuxErr !== null) {
    process.stderr.write(`building the Linux guest failed (it needs dtc: apt-get install device-tree-compiler): ${linuxErr}\n`);
    return 2;
  }
  let bad = 0;
  for (const r of checkKvmLiveRecordings({ bless, only, guestsBuild: path.join(guestsDir(), 'build') })) {
    if (r.blessed) process.stdout.write(`recorded traces/ftrace/${r.rec.name}.gtr (+ .ftrace.txt.gz)\n`);
    else if (r.difference === null) process.stdout.write(`ok   ${r.rec.name}: the same ${r.rec.linux ? 'GIC MMIO accesses' : 'GIC event stream'} on every vCPU\n`);
    else {
      bad++;
      process.stdout.write(`FAIL ${r.rec.name}: ${r.difference}\n`);
    }
  }
  return bad ? 1 : 0;
}

process.exitCode = main();
