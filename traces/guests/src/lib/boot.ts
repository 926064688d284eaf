// Secondary-CPU bring-up order: vCPU k starts its init once vCPU k-1 has finished (PSCI CPU_ON
// one at a time, as kvm-unit-tests' smp_boot_secondary and Linux's bringup_nonboot_cpus do).

import { Step } from '../../../../engine/guests/api';
import { Vcpu } from '../../../../engine/guests/vcpu';

export class BootOrder {
  /** vCPUs that have finished their init. */
  online = 0;

  /** Wait (busy, no events) until it is this vCPU's turn. */
  *turn(c: Vcpu): Step {
    while (this.online < c.id) yield* c.delay(5000);
  }

  done(): void {
    this.online++;
  }

  /** Wait until every vCPU is online. */
  *all(c: Vcpu): Step {
    while (this.online < c.cpuCount) yield* c.delay(5000);
  }
}
