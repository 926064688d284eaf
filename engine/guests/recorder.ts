// Record a scripted guest: build its trace header (QEMU virt addresses, 1 GHz guest cycles, the
// recording policy in provenance.details), run it closed-loop on a Machine, and write the trace.

import { Policy, getPolicy } from '../policy/policy';
import { ReplaySink } from '../replay/records';
import { kvmMpidr, minorFor, TRACE_FORMAT_MAJOR, TRACE_FORMAT_MINOR, TRACE_MAGIC, TraceEvent, TraceHeader, TraceTrailer } from '../trace/events';
import { writeTrace } from '../trace/writer';
import { GICREPLAY_VERSION } from '../version';
import { GuestDefinition } from './api';
import { COST_MODEL_VERSION, CostModel, DEFAULT_COSTS } from './costs';
import { VIRT_GITS } from './host';
import { GuestFailure, Machine, MachineOptions } from './machine';
import { formatSite } from './site';

/** QEMU virt's memory map (hw/arm/virt.c): where the frames would be; replay itself works in offsets. */
const VIRT_GICD = 0x08000000n;
const VIRT_GICC = 0x08010000n;
const VIRT_GICR = 0x080a0000n;
const GICR_STRIDE = 0x20000n;


/** Guest cycles are nanoseconds of a 1 GHz vCPU; the counter runs at QEMU virt's 62.5 MHz. */
export const GUEST_CNTFRQ = 62500000n;
export const GUEST_COUNTER_PER_CYCLE = { num: 1n, den: 16n };

export interface RecordOptions {
  /** Policy ID or object; default: the guest's own recording policy (rev3 if it names none). */
  policy?: string | Policy;
  costs?: CostModel;
  modelFactory?: MachineOptions['modelFactory'];
  timerFactory?: MachineOptions['timerFactory'];
  sink?: ReplaySink;
}

export interface GuestRecording {
  guest: GuestDefinition;
  policy: Policy;
  header: TraceHeader;
  events: TraceEvent[];
  failures: GuestFailure[];
}

export function guestHeader(def: GuestDefinition, policy: Policy): TraceHeader {
  const n = def.gic.cpus;
  const cpus = [];
  for (let i = 0; i < n; i++) cpus.push({ mpidr: kvmMpidr(i) });
  const frames: TraceHeader['gic']['frames'] =
    def.gic.version === 3 ? { dist: VIRT_GICD, redist: cpus.map((_, i) => VIRT_GICR + GICR_STRIDE * BigInt(i)), ...(def.gic.its ? { its: VIRT_GITS } : {}) } : { dist: VIRT_GICD, cpuif: VIRT_GICC };
  return {
    magic: TRACE_MAGIC,
    formatMajor: TRACE_FORMAT_MAJOR,
    formatMinor: TRACE_FORMAT_MINOR,
    writer: `gicreplay ${GICREPLAY_VERSION}`,
    gic: { version: def.gic.version, cpus, spis: def.gic.spis, its: def.gic.version === 3 && def.gic.its === true, frames, ...(def.gic.init ? { init: def.gic.init } : {}) },
    timer: { cntfrq: GUEST_CNTFRQ, counterPerCycle: { ...GUEST_COUNTER_PER_CYCLE }, virtualOffset: 0n, physicalOffset: 0n },
    provenance: {
      kind: 'guest-script',
      tool: `gicreplay ${GICREPLAY_VERSION} scripted guest`,
      command: `gicreplay record guest ${def.name} --policy ${policy.id}`,
      blindSpots: [
        'The guest ran closed-loop against gicreplay\'s own GIC model, not KVM: recorded values are what the model returned under the recording policy.',
        def.gic.its
          ? 'Instruction-level behaviour between accesses (barriers, caches) is not modelled; only GIC, timer and line events, MSIs and the guest memory the ITS reads (command queue, property table) are recorded.'
          : 'Instruction-level behaviour between accesses (barriers, memory, caches) is not modelled; only GIC, timer and line events are recorded.',
      ],
      cycles: `guest cycles of a 1 GHz vCPU from the deterministic cost model v${COST_MODEL_VERSION} (engine/guests/COSTS.md); counter = cycle / 16 (62.5 MHz)`,
      details: {
        guest: def.name,
        scenario: def.scenario,
        recordingPolicy: policy.id,
        recordingPolicyDigest: policy.digest,
        costModel: String(COST_MODEL_VERSION),
      },
    },
  };
}

/** Run a guest closed-loop; GuestError (bad guest code) propagates, assertion failures are returned. */
export function recordGuest(def: GuestDefinition, opts: RecordOptions = {}): GuestRecording {
  const policy = typeof opts.policy === 'object' ? opts.policy : getPolicy(opts.policy ?? def.policy ?? 'rev3');
  const header = guestHeader(def, policy);
  const m = new Machine(def, header, { policy, costs: opts.costs ?? DEFAULT_COSTS, modelFactory: opts.modelFactory, timerFactory: opts.timerFactory, sink: opts.sink });
  m.run();
  return { guest: def, policy, header, events: m.events, failures: m.failures };
}

/** Written with the lowest format minor its events need (a guest without 1.1 features stays 1.0). */
export function writeGuestTrace(rec: GuestRecording, file: string): TraceTrailer {
  return writeTrace(file, { ...rec.header, formatMinor: minorFor(rec.header, rec.events) }, rec.events);
}

/** "guest kut-ipi-v3 failed under rev3: <message> (traces/guests/src/kut-ipi.ts:42)". */
export function describeFailure(f: GuestFailure, policyId: string): string {
  const who = f.cpu === null ? '' : ` on vCPU ${f.cpu}`;
  return `guest ${f.guest} failed under policy ${policyId}${who} at cycle ${f.cycle}: ${f.message} (${formatSite(f.site)})`;
}
