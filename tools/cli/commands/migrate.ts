import type { Argv } from 'yargs';
import { findProjectRoot, kvmMigrationToJson, migrate, migrateOnKvm, migrationToJson, renderKvmMigrationText, openTrace, renderMigrationText, segmentHeader, UsageError, VMM_RECIPES, VmmRecipeId, writeTrace } from '../../../engine';
import { Output } from '../output';
import { backendOptions, kvmHostFrom } from './backend';
import { listOf, namedPolicy } from '../policy-args';

export function migrateCommand(y: Argv): Argv {
  return y.command(
    'migrate <trace>',
    'Run a trace under one policy, save the vGIC as a VMM does, restore it under another policy, and show what the guest notices',
    (c) =>
      backendOptions(c)
        .positional('trace', { type: 'string', demandOption: true, describe: 'trace file (.gtr)' })
        .option('from', { type: 'string', demandOption: true, describe: 'policy of the source host kernel (an ID or a policy JSON file)' })
        .option('to', { type: 'string', demandOption: true, describe: 'policy of the destination host kernel (an ID or a policy JSON file)' })
        .option('at', { type: 'number', describe: 'migrate after this event (0-based index)' })
        .option('at-marker', { type: 'string', describe: 'migrate after the first marker event with exactly this text' })
        .option('vmm', { choices: [...VMM_RECIPES], default: 'qemu', describe: "save/restore recipe: QEMU's order without a GICD_IIDR write (qemu), with one (qemu-iidr), or no vGIC state moved (none)" })
        .option('save', { type: 'string', describe: 'write the restore (the saved state) as a trace segment of user events to FILE' })
        .option('policy-file', { type: 'string', coerce: listOf, describe: 'policy JSON files whose IDs --from/--to may name (registered ones need none); --from/--to may also name a file' })
        .option('json', { type: 'boolean', default: false, describe: 'machine-readable report' })
        .option('max-listed', { type: 'number', default: 200, describe: 'list at most this many individual differences' })
        .example('$0 migrate traces/guests/igroupr-rw-v2.gtr --from rev2 --to mainline-rev3 --at 30', 'what a GICv2 guest notices when QEMU moves it from a rev-2 kernel to mainline')
        .example('$0 migrate traces/guests/grp1-ackctl-v2.gtr --from linux-6.1 --to linux-6.1 --at 40 --backend kvm', 'the same question asked of real KVM: one kernel plays both hosts')
        .check((a) => {
          if ((a.at === undefined) === (a['at-marker'] === undefined)) throw new UsageError('migrate needs exactly one of --at N and --at-marker TEXT');
          if (a.at !== undefined && (!Number.isInteger(a.at) || (a.at as number) < 0)) throw new UsageError(`--at needs an event index (an integer ≥ 0), got ${a.at}`);
          if (a.backend !== 'model' && (a['at-marker'] !== undefined || a.save !== undefined)) throw new UsageError('migrate --backend kvm takes --at N (not --at-marker) and no --save');
          return true;
        }),
    (a) => {
      // The shared selection (tools/cli/policy-args.ts): --from and
      // --to name a built-in, registered or --policy-file policy's ID, or a policy JSON file.
      const root = findProjectRoot(process.cwd());
      const byRef = (v: string) => namedPolicy(v, a, root);
      const trace = a.trace as string;
      const host = kvmHostFrom(a);
      if (host) {
        const k = migrateOnKvm(trace, { host, from: byRef(a.from as string), to: byRef(a.to as string), at: a.at as number, vmm: a.vmm as VmmRecipeId, runTimeoutMs: a['kvm-run-timeout'] as number, maxListed: a['max-listed'] as number });
        const o = new Output();
        o.line(a.json ? kvmMigrationToJson(k) : renderKvmMigrationText(k).replace(/\n$/, ''));
        o.flush();
        process.exitCode = k.invisible ? 0 : 1;
        return;
      }
      const report = migrate(trace, byRef(a.from as string), byRef(a.to as string), {
        at: a.at !== undefined ? { index: a.at as number } : { marker: a['at-marker'] as string },
        vmm: a.vmm as VmmRecipeId,
        maxListed: a['max-listed'] as number,
      });
      if (a.save) {
        const reader = openTrace(trace);
        const header = reader.header;
        reader.close();
        writeTrace(a.save as string, segmentHeader(header, report), report.segment, { inputs: [trace] });
      }
      const out = new Output();
      out.line(a.json ? migrationToJson(report) : renderMigrationText(report).replace(/\n$/, ''));
      out.flush();
      process.exitCode = report.invisible ? 0 : 1;
    },
  );
}
