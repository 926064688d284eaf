// GICD_IIDR, the register the IIDR policies are about, for both GIC versions: its value (the
// same layout on v2 and v3) and the one userspace write KVM allows on it
// (vgic_mmio_uaccess_write_v{2,3}_misc), which selects the implementation revision.

import { VgicCore } from './vgic';

/** PRODUCT_ID_KVM ('K'). */
export const PRODUCT_ID_KVM = 0x4b;
/** IMPLEMENTER_ARM. */
export const IMPLEMENTER_ARM = 0x43b;

export const GICD_IIDR_REVISION_SHIFT = 12;
export const GICD_IIDR_REVISION_MASK = 0xf << GICD_IIDR_REVISION_SHIFT;

/** GICD_IIDR for an implementation revision: ProductID [31:24], Variant 0, Revision [15:12], Implementer [11:0]. */
export function gicdIidr(revision: number): number {
  return ((PRODUCT_ID_KVM << 24) | ((revision & 0xf) << GICD_IIDR_REVISION_SHIFT) | IMPLEMENTER_ARM) >>> 0;
}

/** The guest's GICD_IIDR read: the current revision. */
export function readIidr(core: VgicCore): number {
  if (core.deps.enabled) core.deps.read('dist:revision');
  return gicdIidr(core.revision);
}

/**
 * Userspace writes GICD_IIDR: every field but Revision must match (else -EINVAL), and the policy
 * must let userspace select the revision (mainline: 2 or 3; the posted series: 1-3). Success
 * records that userspace wrote GICD_IIDR (mainline's v2_groups_user_writable).
 */
export function userWriteIidr(core: VgicCore, value: number): string | undefined {
  const cur = readIidr(core);
  if (((cur ^ value) & ~GICD_IIDR_REVISION_MASK) >>> 0 !== 0) {
    return `rejected (-EINVAL): only the Revision field of GICD_IIDR may change (current 0x${cur.toString(16)})`;
  }
  const rev = (value & GICD_IIDR_REVISION_MASK) >>> GICD_IIDR_REVISION_SHIFT;
  if (!core.policy.userMaySelectRevision(rev)) {
    return `rejected (-EINVAL): policy ${core.policy.id} lets userspace select revision ${core.policy.data.userSelectableRevisions.join(' or ')}, not ${rev}`;
  }
  core.revision = rev;
  core.userWroteIidr = true;
  if (core.deps.enabled) {
    core.deps.write('dist:revision');
    core.deps.write('dist:user-iidr-written');
  }
  // The revision decides which later writes are honoured; no list or output depends on it.
  return undefined;
}
