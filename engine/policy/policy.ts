// IIDR policies are data (engine/policy/builtin/*.json, or a user's file). The models never read the
// JSON; they ask a Policy the questions KVM's handlers ask (`implementation_rev < 2`, …).

import type { ErrorObject, ValidateFunction } from 'ajv';
import { createHash } from 'crypto';
import * as path from 'path';
import { InputError } from '../errors';
import { GicVersion } from '../trace/events';
import { canonicalJson } from '../util/canonical-json';
import { readInputText } from '../util/input-file';
import { projectRoot } from '../util/project-root';
import POLICY_JSON_SCHEMA from './policy.schema.json';

export const POLICY_SCHEMA = 1;

export interface GroupWriteRule {
  /** The write is honoured only when the current revision is at least this (KVM: `rev < KVM_VGIC_IMP_REV_2` drops). */
  minRevision: number;
  /** Userspace only: the write is honoured only after userspace wrote GICD_IIDR (mainline's v2_groups_user_writable). */
  requireUserIidrWrite?: boolean;
}

/** Values that come from the host's GIC rather than from KVM; they do not vary between the shipped policies. */
export interface HostParams {
  /** Implemented virtual priority bits (ICH_VTR_EL2.PRIbits + 1). */
  priBits: number;
  /** Preemption bits (ICH_VTR_EL2.PREbits + 1). */
  preBits: number;
  /** ICC_CTLR_EL1.IDbits (0 = 16-bit INTIDs, 1 = 24-bit). */
  idBits: number;
  /** ICC_CTLR_EL1.SEIS and A3V. */
  seis: number;
  a3v: number;
  /** GICv2 guests read the hardware GICV_IIDR for GICC_IIDR (GIC-400: 0x0202143B). */
  gicvIidr: number;
  /**
   * The host GIC's list registers (ICH_VTR_EL2.ListRegs + 1; GICH_VTR.ListRegs + 1): how many
   * of a vCPU's queued interrupts KVM's vgic_flush_lr_state can show the guest at once. 4 on
   * QEMU's GICv3 and GICv2 (the nested host) and on GIC-500/GIC-600. `unlimited` is no real
   * host: every queued interrupt in a list register (the model before list registers existed).
   */
  listRegisters: ListRegisterCount;
  /**
   * Which of a GICv3 guest's ICC_* accesses the host's KVM traps (ICH_HCR_EL2.TALL0, TALL1, TC:
   * kernel parameters kvm-arm.vgic_v3_group0_trap, _group1_trap, _common_trap, or a host
   * erratum) and answers with its own emulation (hyp/vgic-v3-sr.c __vgic_v3_*) instead of the
   * host GIC's virtual CPU interface. `group0`: IAR0/EOIR0/HPPIR0/BPR0/AP0Rn/IGRPEN0; `group1`:
   * the Group 1 ones; `common`: PMR, RPR, CTLR, DIR. Default none (today's hosts).
   */
  cpuifTraps: CpuIfTrap[];
  /**
   * What the host GIC's ICH_VMCR_EL2.VPMR keeps of a priority mask KVM writes there (a VMM's
   * ICC_PMR_EL1 write, or the guest's own with the common trap): `implemented` only the host's
   * priority bits (hardware: the field is ICV_PMR_EL1), `all-bits` all 8 (QEMU 7.2's emulated
   * GICv3, ich_vmcr_write). Not a KVM choice: the KVM backend's rule vmcr-pmr-unmasked replays
   * with `all-bits` to tell that host's effect from a model bug. Default `implemented`.
   */
  vmcrPmr: VmcrPmrRule;
}
export type ListRegisterCount = number | 'unlimited';
export type CpuIfTrap = 'group0' | 'group1' | 'common';
export const CPUIF_TRAPS: readonly CpuIfTrap[] = ['group0', 'group1', 'common'];
export type VmcrPmrRule = 'implemented' | 'all-bits';

/**
 * GICR_INVLPIR / GICR_INVALLR / GICR_SYNCR (KVM vgic-mmio-v3.c): `registered` at every revision,
 * IR only advertising them (KVM since 5.19); `with-ir` honoured only while GICR_CTLR.IR is
 * advertised, ignored below; `absent` no such registers (kernels before 5.19: RAZ/WI).
 */
export type LpiInvalidationRule = 'registered' | 'with-ir' | 'absent';
/** Clearing GICR_CTLR.EnableLPIs: `always` works (KVM, every revision); `with-ces` only while CES is advertised. */
export type EnableLpisClearRule = 'always' | 'with-ces';
export const LPI_INVALIDATION_RULES: readonly LpiInvalidationRule[] = ['registered', 'with-ir', 'absent'];
export const ENABLE_LPIS_CLEAR_RULES: readonly EnableLpisClearRule[] = ['always', 'with-ces'];

/**
 * Guest-visible behaviour that changed between kernel releases with no change of the IIDR
 * revision. Absent from a policy file: today's mainline. The kernels the KVM backend runs
 * (Debian's 6.1 and 6.12) differ from it here; policies linux-6.1 and linux-6.12 say so.
 */
export interface KernelSwitches {
  /**
   * ICC_DIR_EL1 written on one vCPU deactivates an SPI active on another: mainline traps DIR
   * (ICH_HCR_EL2.TDIR) and vgic_v3_deactivate() finds the interrupt wherever it is (Marc
   * Zyngier's 2025 LR-overflow series). false: 6.1 and 6.12, where the guest's ICV_DIR_EL1
   * reaches only its own list registers and the SPI stays active.
   */
  dirDeactivatesOtherVcpus: boolean;
  /**
   * Which GICv3 distributor registers userspace may access before KVM_DEV_ARM_VGIC_CTRL_INIT:
   * `iidr-typer2` mainline's reg_allowed_pre_init() (GICD_IIDR, GICD_TYPER2), so a VMM selects
   * the revision before init; `none` 6.1 and 6.12, every register access is -EBUSY.
   */
  distRegsBeforeInit: DistRegsBeforeInit;
  /**
   * What KVM does when a vCPU's ap_list does not fit in the list registers (vgic.c
   * vgic_flush_lr_state, vgic_irq_cmp). `pending-first` (mainline, the 2025 LR-overflow series
   * that also brought vgic_v3_deactivate): pending interrupts sort first, by priority, and an EOI or
   * DIR of an active interrupt outside the list registers still deactivates it (EOIcount
   * maintenance, trapped DIR). `active-first` (6.1, 6.12): active interrupts sort first, and an
   * EOI or DIR reaches only the list registers (outside them the hardware only counts EOIcount,
   * which those kernels ignore), so the interrupt stays active; and a GICv2 SGI needing more than
   * one list register sorts the list and keeps everything of lower priority out of the list
   * registers (the multi-SGI cut, which the 2025 series removed).
   */
  lrOverflow: LrOverflowRule;
}
export type LrOverflowRule = 'pending-first' | 'active-first';
export const LR_OVERFLOW_RULES: readonly LrOverflowRule[] = ['pending-first', 'active-first'];
export type DistRegsBeforeInit = 'iidr-typer2' | 'none';
export const DIST_REGS_BEFORE_INIT: readonly DistRegsBeforeInit[] = ['iidr-typer2', 'none'];
export const MAINLINE_KERNEL: KernelSwitches = { dirDeactivatesOtherVcpus: true, distRegsBeforeInit: 'iidr-typer2', lrOverflow: 'pending-first' };

export interface PolicyData {
  schema: number;
  id: string;
  title: string;
  source: string;
  revision: number;
  userSelectableRevisions: number[];
  guestGroupWrites: GroupWriteRule;
  userGroupWrites: { v2: GroupWriteRule; v3: GroupWriteRule };
  gicrCtlrIrCes: { minRevision: number };
  /** Absent in a user's file: what KVM does ('registered'). */
  gicrLpiInvalidation?: LpiInvalidationRule;
  /** Absent in a user's file: what KVM does ('always'). */
  gicrEnableLpisClear?: EnableLpisClearRule;
  host?: Partial<HostParams>;
  /** Absent: mainline (MAINLINE_KERNEL). */
  kernel?: Partial<KernelSwitches>;
  /** The built-in policy this one was written as a change of (`"extends": "rev3"`); informational once merged. */
  extends?: string;
}

export const DEFAULT_HOST: HostParams = { priBits: 5, preBits: 5, idBits: 1, seis: 0, a3v: 1, gicvIidr: 0x0202143b, listRegisters: 4, cpuifTraps: [], vmcrPmr: 'implemented' };

export class Policy {
  readonly id: string;
  readonly data: PolicyData;
  readonly host: HostParams;
  readonly kernel: KernelSwitches;
  /**
   * sha256 of the canonical JSON of what the policy *does* (behaviourDigestInput): a golden
   * records it to notice a changed policy. Its ID, title, source, `$schema` and `extends` are
   * left out, and defaults filled in, so editing a description never makes a golden stale.
   */
  readonly digest: string;
  /** Where the policy came from (built-in file path or user file). */
  readonly file: string;

  constructor(data: PolicyData, file: string) {
    this.data = data;
    this.id = data.id;
    this.file = file;
    this.host = { ...DEFAULT_HOST, ...(data.host ?? {}) };
    this.host.cpuifTraps = canonicalTraps(this.host.cpuifTraps);
    this.kernel = { ...MAINLINE_KERNEL, ...(data.kernel ?? {}) };
    this.digest = createHash('sha256').update(canonicalJson(behaviourOf(data))).digest('hex');
  }

  /** GICD_IIDR revision the guest sees unless userspace selects another. */
  get defaultRevision(): number {
    return this.data.revision;
  }

  userMaySelectRevision(rev: number): boolean {
    return this.data.userSelectableRevisions.includes(rev);
  }

  guestGroupWriteHonoured(currentRevision: number): boolean {
    return currentRevision >= this.data.guestGroupWrites.minRevision;
  }

  userGroupWriteHonoured(gic: GicVersion, currentRevision: number, userWroteIidr: boolean): boolean {
    const rule = gic === 2 ? this.data.userGroupWrites.v2 : this.data.userGroupWrites.v3;
    if (rule.requireUserIidrWrite && !userWroteIidr) return false;
    return currentRevision >= rule.minRevision;
  }

  gicrCtlrAdvertisesIrCes(currentRevision: number): boolean {
    return currentRevision >= this.data.gicrCtlrIrCes.minRevision;
  }

  /** Whether a GICR_INVLPIR/INVALLR write re-reads LPI configuration at this revision. */
  lpiInvalidationHonoured(currentRevision: number): boolean {
    const rule = this.data.gicrLpiInvalidation ?? 'registered';
    if (rule === 'absent') return false;
    return rule === 'registered' || this.gicrCtlrAdvertisesIrCes(currentRevision);
  }

  /** Whether the invalidation registers exist at all (else their offsets have no region). */
  get lpiInvalidationRegistered(): boolean {
    return (this.data.gicrLpiInvalidation ?? 'registered') !== 'absent';
  }

  /** Whether a write clearing GICR_CTLR.EnableLPIs takes effect at this revision. */
  enableLpisClearable(currentRevision: number): boolean {
    const rule = this.data.gicrEnableLpisClear ?? 'always';
    return rule === 'always' || this.gicrCtlrAdvertisesIrCes(currentRevision);
  }
}

/**
 * The part of a policy that decides what a guest sees, with every default made explicit (a field
 * left out and the same field spelled out are the same behaviour): what Policy.digest hashes.
 */
export function behaviourOf(d: PolicyData): Record<string, unknown> {
  const rule = (r: GroupWriteRule) => ({ minRevision: r.minRevision, requireUserIidrWrite: r.requireUserIidrWrite === true });
  return {
    schema: d.schema,
    revision: d.revision,
    userSelectableRevisions: [...new Set(d.userSelectableRevisions)].sort((a, b) => a - b),
    guestGroupWrites: { minRevision: d.guestGroupWrites.minRevision },
    userGroupWrites: { v2: rule(d.userGroupWrites.v2), v3: rule(d.userGroupWrites.v3) },
    gicrCtlrIrCes: { minRevision: d.gicrCtlrIrCes.minRevision },
    gicrLpiInvalidation: d.gicrLpiInvalidation ?? 'registered',
    gicrEnableLpisClear: d.gicrEnableLpisClear ?? 'always',
    host: hostBehaviour(d.host),
    // Left out when it is mainline's, so that the switches' arrival changed no policy's digest.
    ...kernelBehaviour(d.kernel),
  };
}

/** The host block; listRegisters, cpuifTraps and vmcrPmr left out at their defaults, so that their arrival changed no policy's digest. */
function hostBehaviour(h: Partial<HostParams> | undefined): Record<string, unknown> {
  const { listRegisters, cpuifTraps, vmcrPmr, ...rest } = { ...DEFAULT_HOST, ...(h ?? {}) };
  const traps = canonicalTraps(cpuifTraps);
  return {
    ...rest,
    ...(listRegisters === DEFAULT_HOST.listRegisters ? {} : { listRegisters }),
    ...(traps.length ? { cpuifTraps: traps } : {}),
    ...(vmcrPmr === DEFAULT_HOST.vmcrPmr ? {} : { vmcrPmr }),
  };
}

/** The traps in CPUIF_TRAPS order, each once. */
function canonicalTraps(t: readonly CpuIfTrap[]): CpuIfTrap[] {
  return CPUIF_TRAPS.filter((x) => t.includes(x));
}

/**
 * The same policy on another host (the KVM backend's: its traps, its GIC's quirks), every given
 * field named in its data (so that a trace's own host naming no longer applies); itself when
 * the data already says so.
 */
export function onHost(p: Policy, host: Partial<HostParams>): Policy {
  const data = { ...(p.data.host ?? {}), ...host };
  if (JSON.stringify(data) === JSON.stringify(p.data.host ?? {})) return p;
  return new Policy({ ...p.data, host: data }, p.file);
}

/** The provenance detail by which a trace names the ICC traps of the host it was recorded on: "group0,group1,common". */
export const TRACE_TRAPS_DETAIL = 'host.cpuifTraps';

/**
 * The policy a trace replays under: on the host the trace names (its TRACE_TRAPS_DETAIL), unless
 * the policy itself names its traps. A regression trace cut on a host whose KVM traps the CPU
 * interface so keeps that host's answers as its goldens under every policy.
 */
export function policyForTrace(p: Policy, details: Readonly<Record<string, string>>): Policy {
  const named = details[TRACE_TRAPS_DETAIL];
  if (named === undefined || p.data.host?.cpuifTraps !== undefined) return p;
  const traps = named === '' ? [] : named.split(',');
  const bad = traps.find((t) => !(CPUIF_TRAPS as readonly string[]).includes(t));
  if (bad !== undefined) throw new InputError(`trace header: provenance detail ${TRACE_TRAPS_DETAIL} names "${bad}"`, undefined, `a comma-separated list of ${CPUIF_TRAPS.join(', ')}`);
  return onHost(p, { cpuifTraps: traps as CpuIfTrap[] });
}

function kernelBehaviour(k: Partial<KernelSwitches> | undefined): { kernel?: KernelSwitches } {
  const full = { ...MAINLINE_KERNEL, ...(k ?? {}) };
  const same = (Object.keys(MAINLINE_KERNEL) as (keyof KernelSwitches)[]).every((f) => full[f] === MAINLINE_KERNEL[f]);
  return same ? {} : { kernel: full };
}

export function builtinPolicyDir(): string {
  return path.join(projectRoot(), 'engine', 'policy', 'builtin');
}

/** What a policy ID looks like: it is also a file name (golden/<trace>/<id>.golden), never a path. */
export const POLICY_ID_RE = /^[a-z0-9][a-z0-9.-]*$/; // the pattern of policy.schema.json "id"

/** The built-in policy IDs in their stable, documented order. */
export const BUILTIN_POLICY_IDS = ['rev3', 'rev2', 'rev1', 'rev1-iidr-only', 'mainline-rev3', 'linux-6.1', 'linux-6.12'] as const;

type Obj = Record<string, unknown>;

let validator: ValidateFunction | undefined;

/**
 * The published schema (policy.schema.json), compiled once; editors check a user's file with the
 * same one. ajv is loaded only here: loading and compiling it is a large part of gicreplay's
 * start-up, and only a user's policy file needs it (the built-in ones are held to the schema by
 * policy.test.ts, and they ship with the code that reads them).
 */
function validatePolicyJson(): ValidateFunction {
  if (!validator) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
    const { default: Ajv } = require('ajv') as typeof import('ajv');
    validator = new Ajv({ allErrors: false, verbose: true, strict: true, strictRequired: false }).compile(POLICY_JSON_SCHEMA);
  }
  return validator;
}

/** "/userGroupWrites/v2/minRevision" -> "userGroupWrites.v2.minRevision", "/userSelectableRevisions/1" -> "userSelectableRevisions[1]". */
function fieldName(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .reduce((out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}

/** The schema's first complaint as an InputError naming the file, the field and what was expected. */
function schemaError(e: ErrorObject, file: string): InputError {
  const at = fieldName(e.instancePath);
  const schema = (e.parentSchema ?? {}) as { description?: string; properties?: Obj };
  const prefix = at ? `${at}.` : '';
  switch (e.keyword) {
    case 'additionalProperties': {
      const k = (e.params as { additionalProperty: string }).additionalProperty;
      return new InputError(`unknown policy field "${prefix}${k}"`, { file }, `one of ${Object.keys(schema.properties ?? {}).join(', ')}`);
    }
    case 'required': {
      const k = (e.params as { missingProperty: string }).missingProperty;
      // A field required only without "extends" is reported from the schema's `then`: describe it from the top level.
      const top = at ? undefined : (POLICY_JSON_SCHEMA.properties as Record<string, { description?: string }>)[k];
      const d = ((schema.properties?.[k] as { description?: string } | undefined) ?? top)?.description;
      return new InputError(`policy field ${prefix}${k} is missing`, { file }, d);
    }
    default:
      if (!at) return new InputError('policy file is not a JSON object', { file }, 'a JSON object with the fields of engine/policy/policy.schema.json');
      return new InputError(`policy field ${at} is ${JSON.stringify(e.data)}`, { file }, schema.description);
  }
}

/**
 * `"extends": "rev3"`: the named built-in policy's fields, then this file's on top (objects merged
 * field by field, arrays and values replaced). Only built-ins can be extended: a policy's meaning
 * never depends on which other files a project happens to register.
 */
function withBase(json: unknown, file: string): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return json;
  const o = json as Obj;
  if (o.extends === undefined) return json;
  if (typeof o.extends !== 'string' || !(BUILTIN_POLICY_IDS as readonly string[]).includes(o.extends)) {
    throw new InputError(`policy field extends is ${JSON.stringify(o.extends)}`, { file }, `the ID of a built-in policy: ${BUILTIN_POLICY_IDS.join(', ')}`);
  }
  const base = loadBuiltins().get(o.extends)!.data as unknown as Obj;
  const merge = (a: Obj, b: Obj): Obj => {
    const out: Obj = { ...a };
    for (const [k, v] of Object.entries(b)) {
      const av = a[k];
      out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof av === 'object' && av !== null && !Array.isArray(av) ? merge(av as Obj, v as Obj) : v;
    }
    return out;
  };
  const { title: _t, source: _s, ...inherited } = base;
  void _t;
  void _s;
  return merge(inherited, o);
}

export function parsePolicy(json: unknown, file: string, builtin = false): Policy {
  // A file that extends a built-in may give half of a nested rule: it is checked once merged.
  json = withBase(json, file);
  if (!builtin) {
    const validate = validatePolicyJson();
    if (!validate(json)) throw schemaError(validate.errors![0], file);
  }
  const o = json as Obj & { id: string; revision: number; userSelectableRevisions: number[]; guestGroupWrites: GroupWriteRule; userGroupWrites: { v2: GroupWriteRule; v3: GroupWriteRule }; gicrCtlrIrCes: { minRevision: number } };
  const userRule = (r: GroupWriteRule): GroupWriteRule => ({ minRevision: r.minRevision, requireUserIidrWrite: r.requireUserIidrWrite === true });
  const data: PolicyData = {
    schema: POLICY_SCHEMA,
    id: o.id,
    title: typeof o.title === 'string' ? o.title : o.id,
    source: typeof o.source === 'string' ? o.source : '',
    revision: o.revision,
    userSelectableRevisions: [...o.userSelectableRevisions],
    guestGroupWrites: { minRevision: o.guestGroupWrites.minRevision },
    userGroupWrites: { v2: userRule(o.userGroupWrites.v2), v3: userRule(o.userGroupWrites.v3) },
    gicrCtlrIrCes: { minRevision: o.gicrCtlrIrCes.minRevision },
  };
  if (o.gicrLpiInvalidation !== undefined) data.gicrLpiInvalidation = o.gicrLpiInvalidation as LpiInvalidationRule;
  if (o.gicrEnableLpisClear !== undefined) data.gicrEnableLpisClear = o.gicrEnableLpisClear as EnableLpisClearRule;
  if (o.host !== undefined) data.host = { ...(o.host as Partial<HostParams>) };
  if (o.kernel !== undefined) data.kernel = { ...(o.kernel as Partial<KernelSwitches>) };
  if (typeof o.extends === 'string') data.extends = o.extends;
  return new Policy(data, file);
}

/** A policy file is small; anything larger is not one. */
const MAX_POLICY_BYTES = 1 << 20;

export function loadPolicyFile(file: string, builtin = false): Policy {
  const text = readInputText(file, 'policy file', MAX_POLICY_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`policy file is not valid JSON: ${(e as Error).message}`, { file });
  }
  return parsePolicy(json, file, builtin);
}

let builtins: Map<string, Policy> | undefined;

function loadBuiltins(): Map<string, Policy> {
  if (!builtins) {
    builtins = new Map();
    for (const id of BUILTIN_POLICY_IDS) {
      const p = loadPolicyFile(path.join(builtinPolicyDir(), `${id}.json`), true);
      if (p.id !== id) throw new InputError(`built-in policy file declares id "${p.id}"`, { file: p.file }, `"${id}"`);
      builtins.set(id, p);
    }
  }
  return builtins;
}

/** The built-in policies, in BUILTIN_POLICY_IDS order. */
export function builtinPolicies(): Policy[] {
  const m = loadBuiltins();
  return BUILTIN_POLICY_IDS.map((id) => m.get(id)!);
}

export function getPolicy(id: string): Policy {
  const p = loadBuiltins().get(id);
  if (!p) {
    throw new InputError(`unknown policy "${id}"`, undefined, `one of ${BUILTIN_POLICY_IDS.join(', ')}, or a file given with --policy-file`);
  }
  return p;
}
