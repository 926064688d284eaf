// Fidelity report: replay an imported QEMU trace under a policy (rev3: QEMU never writes
// GICD_IIDR, so KVM would stay at revision 3) and classify every read whose recorded QEMU value
// differs from the model's: explained by a known QEMU != KVM difference or log blind spot
// (fidelity-rules.ts), a consequence of such a difference (same INTID on the same vCPU, whose
// state has diverged since), or unexplained.

import { Policy } from '../policy/policy';
import { Replayer, streamTrace } from '../replay/replay';
import { ReplayRecord } from '../replay/records';
import { AccessSize, EventKind, Frame, GicVersion } from '../trace/events';
import { openTrace } from '../trace/reader';
import { GicModel } from '../model/model';
import { Difference, FIDELITY_RULES, FidelityRule, ModelProbe, SGI_GROUP_RULE, SGI_MARKER } from './qemu-rules';
import { hex } from '../util/hex';

export interface ClassifiedDifference extends Difference {
  rule: string;
  /** For consequences: the event index of the difference that made the state diverge. */
  via?: number;
}

export interface FidelityReport {
  trace: string;
  policy: string;
  gic: GicVersion;
  events: number;
  /** Reads with a recorded value the model serves. */
  comparedReads: number;
  /** Reads of registers the model does not emulate (value replayed, not compared); 0 since the ITS is modelled. */
  unmodelledReads: number;
  explained: ClassifiedDifference[];
  unexplained: Difference[];
  /** Explained differences per rule id (rules in table order; a rule with no hit is absent). */
  byRule: [string, number][];
}

interface Taint {
  rule: string;
  index: number;
}

/** GICv2 distributor words banked per CPU (SGI/PPI state, priorities, targets, config, SGI pending). */
export function v2Banked(offset: number): boolean {
  return (
    (offset >= 0x080 && offset < 0x400 && offset % 0x80 < 4) ||
    (offset >= 0x400 && offset < 0x420) ||
    (offset >= 0x800 && offset < 0x820) ||
    (offset >= 0xc00 && offset < 0xc08) ||
    (offset >= 0xf10 && offset < 0xf30)
  );
}

function probeFor(model: GicModel, gic: GicVersion): ModelProbe {
  const read = (cpu: number, intid: number, base: number, size: AccessSize): bigint | null => {
    try {
      if (gic === 3 && intid < 32) return model.mmioRead(cpu, Frame.RedistSgi, cpu, base, size, null).value;
      return model.mmioRead(cpu, Frame.Dist, 0, base, size, null).value;
    } catch {
      return null;
    }
  };
  return {
    bankedWriteWithoutCpu: false,
    pending(cpu, intid) {
      const v = read(cpu, intid, 0x200 + 4 * (intid >> 5), 4);
      return v === null ? null : ((v >> BigInt(intid & 31)) & 1n) === 1n;
    },
    priority(cpu, intid) {
      const v = read(cpu, intid, 0x400 + (intid & ~3), 4);
      return v === null ? null : Number((v >> BigInt(8 * (intid & 3))) & 0xffn);
    },
  };
}

function intidsOf(d: Difference, gic: GicVersion): number[] {
  if (!/^(ICC_(IAR|HPPIR)[01]_EL1|GICC_A?(IAR|HPPIR))$/.test(d.reg)) return [];
  const m = gic === 3 ? 0xffffffn : 0x3ffn;
  return [Number(d.recorded & m), Number(d.model & m)];
}

/** Replay one trace and classify its differing reads. */
export function fidelityReport(file: string, policy: Policy, label = file): FidelityReport {
  const reader = openTrace(file);
  const gic = reader.header.gic.version;
  const ncpu = reader.header.gic.cpus.length;
  const explained: ClassifiedDifference[] = [];
  const unexplained: Difference[] = [];
  let compared = 0;
  let unmodelled = 0;
  const taints: Map<number, Taint>[] = Array.from({ length: ncpu }, () => new Map());
  const rules: FidelityRule[] = FIDELITY_RULES.filter((r) => r.gic.includes(gic));
  let probe: ModelProbe | null = null;

  const onRecord = (rec: ReplayRecord): void => {
    if (rec.op === 'marker') {
      const m = SGI_MARKER.exec(rec.text);
      if (!m) return;
      const took = new Set(m[2] === 'none' ? [] : m[2].split(','));
      for (const t of m[3].split(',')) {
        if (!took.has(t)) taints[Number(t.slice(3))]?.set(Number(m[1]), { rule: SGI_GROUP_RULE.id, index: rec.index });
      }
      return;
    }
    if (rec.op !== 'read' || rec.recorded === null || rec.src !== 'guest') return;
    if (rec.unmodelled) {
      unmodelled++;
      return;
    }
    compared++;
    if (rec.recorded === rec.value) return;
    const d: Difference = { index: rec.index, cpu: rec.cpu, reg: rec.reg, recorded: rec.recorded, model: rec.value };
    const apply = (rule: FidelityRule): void => {
      explained.push({ ...d, rule: rule.id });
      if (rule.taints && d.cpu !== null) for (const i of rule.taints(d, gic)) if (i < 1020) taints[d.cpu].set(i, { rule: rule.id, index: d.index });
    };
    const narrow = rules.find((r) => !r.broad && r.matches(d, gic, probe!));
    if (narrow) return apply(narrow);
    if (d.cpu !== null) {
      const hit = intidsOf(d, gic)
        .map((i) => taints[d.cpu!].get(i))
        .find((t) => t !== undefined);
      if (hit) {
        explained.push({ ...d, rule: hit.rule, via: hit.index });
        return;
      }
    }
    const broad = rules.find((r) => r.broad && r.matches(d, gic, probe!));
    if (broad) return apply(broad);
    unexplained.push(d);
  };

  let events: number;
  try {
    events = streamTrace(reader, (header) => {
      const r = new Replayer(header, { policy }, onRecord);
      const p = probeFor(r.model, gic);
      probe = p;
      return (ev, i) => {
        if (gic === 2 && ev.kind === EventKind.MmioWrite && ev.frame === Frame.Dist && ev.cpu === null && v2Banked(ev.offset)) p.bankedWriteWithoutCpu = true;
        r.apply(ev, i);
      };
    });
  } finally {
    reader.close();
  }
  const counts = new Map<string, number>();
  for (const e of explained) counts.set(e.rule, (counts.get(e.rule) ?? 0) + 1);
  const order = [...FIDELITY_RULES.map((r) => r.id), SGI_GROUP_RULE.id];
  const byRule = order.filter((id) => counts.has(id)).map((id) => [id, counts.get(id)!] as [string, number]);
  return { trace: label, policy: policy.id, gic, events, comparedReads: compared, unmodelledReads: unmodelled, explained, unexplained, byRule };
}


/** Text form: one summary line per trace, then each unexplained difference. */
export function formatFidelity(reports: FidelityReport[], listLimit = 20): string[] {
  const out: string[] = [];
  for (const r of reports) {
    const cons = r.explained.filter((e) => e.via !== undefined).length;
    out.push(
      `${r.trace}: ${r.comparedReads} reads compared under ${r.policy}, ${r.explained.length + r.unexplained.length} differ: ` +
        `${r.explained.length} explained (${cons} as consequences), ${r.unexplained.length} unexplained; ${r.unmodelledReads} unmodelled reads`,
    );
    if (r.byRule.length) out.push(`  explained: ${r.byRule.map(([id, n]) => `${id} ${n}`).join(', ')}`);
    for (const u of r.unexplained.slice(0, listLimit)) {
      out.push(`  UNEXPLAINED #${u.index} cpu${u.cpu ?? '?'} ${u.reg}: QEMU ${hex(u.recorded)}, model ${hex(u.model)}`);
    }
    if (r.unexplained.length > listLimit) out.push(`  ... and ${r.unexplained.length - listLimit} more`);
  }
  return out;
}

export { FIDELITY_RULES, SGI_GROUP_RULE };
