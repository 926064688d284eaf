// The scripted test-guest catalogue, in `record guest --all` order. One module per scenario;
// each guest names the public test it is modelled on (../shared/spec/test-guest-scenarios.md).

import { GuestDefinition } from '../../../engine/guests/api';
import { apSpiV2, apSpiV3 } from './ap-spi';
import { edk2V3 } from './edk2-v3';
import { grp0FiqV3 } from './grp0-fiq-v3';
import { grp1AckctlV2 } from './grp1-ackctl-v2';
import { igrouprRwV2, igrouprRwV3 } from './igroupr-rw';
import { kutActiveV2, kutActiveV3 } from './kut-active';
import { kutIpiV2, kutIpiV3 } from './kut-ipi';
import { kutPl031 } from './kut-pl031';
import { kutTimer } from './kut-timer';
import { lnxV2 } from './lnx-v2';
import { lnxV3 } from './lnx-v3';
import { stArchTimer } from './st-arch-timer';
import { stAsymDir } from './st-asym-dir';
import { vmmRestoreV2 } from './vmm-restore-v2';
import { vmmRestoreV3 } from './vmm-restore-v3';
import { vmmPreinitV2, vmmPreinitV3 } from './vmm-preinit';
import { stVgicIrqEdge, stVgicIrqEdgeSplit, stVgicIrqLevel, stVgicIrqLevelSplit } from './st-vgic-irq';
import { zephyrV3 } from './zephyr-v3';
import { itsCesV3, itsInvIrV3, itsInvNoirV3, itsMsiV3, lnxItsV3, vmmItsRestoreV3 } from './its';

export const CATALOGUE: readonly GuestDefinition[] = [
  kutIpiV3,
  kutIpiV2,
  kutActiveV3,
  kutActiveV2,
  kutTimer,
  kutPl031,
  apSpiV3,
  apSpiV2,
  stVgicIrqEdge,
  stVgicIrqEdgeSplit,
  stVgicIrqLevel,
  stVgicIrqLevelSplit,
  stAsymDir,
  stArchTimer,
  lnxV3,
  lnxV2,
  edk2V3,
  zephyrV3,
  grp0FiqV3,
  igrouprRwV3,
  igrouprRwV2,
  grp1AckctlV2,
  vmmRestoreV2,
  vmmRestoreV3,
  vmmPreinitV3,
  vmmPreinitV2,
  lnxItsV3,
  itsMsiV3,
  itsInvIrV3,
  itsInvNoirV3,
  itsCesV3,
  vmmItsRestoreV3,
];

/** The guests of a VM with an ITS (format 1.2): LPIs, MSIs, the ITS's commands and tables. */
export const ITS_GUESTS: readonly string[] = ['lnx-its-v3', 'its-msi-v3', 'its-inv-ir-v3', 'its-inv-noir-v3', 'its-ces-v3', 'vmm-its-restore-v3'];

/** Guests that are only a VMM's device-attribute calls around a boot (no interrupt setup of their own). */
export const VMM_GUESTS: readonly string[] = ['vmm-preinit-v3', 'vmm-preinit-v2'];

/** The guests written to probe group configuration: their outputs differ between rev1 and rev3. */
export const GROUP_GUESTS: readonly string[] = ['grp0-fiq-v3', 'igroupr-rw-v3', 'igroupr-rw-v2', 'grp1-ackctl-v2', 'vmm-restore-v2', 'vmm-restore-v3'];
