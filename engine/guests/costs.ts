// Deterministic guest-time cost model for scripted guests: every access kind advances the vCPU's
// cycle counter by a fixed amount, never by host time. The numbers are rough KVM/arm64 orders of
// magnitude at 1 GHz (a trapped MMIO access costs a world switch; an ICC_* access served by the
// hardware virtual CPU interface costs a few cycles). COSTS.md explains each row. Changing a cost
// changes every recorded cycle, so bump COST_MODEL_VERSION and re-record the catalogue.

import { Frame } from '../trace/events';
import { SysregInfo } from '../arch/sysregs';

export const COST_MODEL_VERSION = 1;

export interface CostModel {
  /** MMIO to a frame that traps to KVM (GICD, GICR): stage-2 abort, emulation, return. */
  mmioTrapped: bigint;
  /** MMIO to the GICv2 CPU interface, which KVM maps straight to the hardware GICV frame. */
  mmioDirect: bigint;
  /** ICC_* access served by the hardware virtual CPU interface (ICV_*). */
  sysregDirect: bigint;
  /** ICC_SGI0R/SGI1R/ASGI1R: always trapped and emulated by KVM. */
  sysregTrapped: bigint;
  /** CNT* timer registers (direct with VHE/ECV; a trap would only shift cycles uniformly). */
  sysregTimer: bigint;
  /** Guest instructions around each access (address computation, barriers). */
  perAccess: bigint;
  /** Taking an IRQ/FIQ exception to the EL1 vector. */
  exceptionEntry: bigint;
  /** ERET back from the handler. */
  exceptionReturn: bigint;
  /** WFI trap to KVM until the vCPU blocks. */
  wfiEntry: bigint;
  /** From the wake-up condition to the vCPU running again (kick, schedule, world switch). */
  wfiWake: bigint;
  /** MSR DAIFSet/DAIFClr. */
  daif: bigint;
  /** A guest asking its host/VMM to drive a line (selftests' GUEST_SYNC round trip). */
  hostRequest: bigint;
  /** Markers (console text, assertion results): free, so annotating a guest never moves its timing. */
  marker: bigint;
}

export const DEFAULT_COSTS: Readonly<CostModel> = {
  mmioTrapped: 1500n,
  mmioDirect: 40n,
  sysregDirect: 20n,
  sysregTrapped: 900n,
  sysregTimer: 20n,
  perAccess: 10n,
  exceptionEntry: 60n,
  exceptionReturn: 40n,
  wfiEntry: 300n,
  wfiWake: 2000n,
  daif: 5n,
  hostRequest: 4000n,
  marker: 0n,
};

const TRAPPED_SYSREGS = new Set(['ICC_SGI0R_EL1', 'ICC_SGI1R_EL1', 'ICC_ASGI1R_EL1']);

export function mmioCost(c: CostModel, frame: Frame): bigint {
  return c.perAccess + (frame === Frame.CpuIf ? c.mmioDirect : c.mmioTrapped);
}

export function sysregCost(c: CostModel, info: SysregInfo): bigint {
  if (info.owner === 'timer') return c.perAccess + c.sysregTimer;
  return c.perAccess + (TRAPPED_SYSREGS.has(info.name) ? c.sysregTrapped : c.sysregDirect);
}
