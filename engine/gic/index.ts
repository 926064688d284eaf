// Model factory: picks the GICv2 or GICv3 model for a trace's configuration.

import { InputError } from '../errors';
import { DepTracker, NO_DEPS } from '../model/deps';
import { GicModel, RegisterRegistry } from '../model/model';
import { Policy } from '../policy/policy';
import { GicConfig } from '../trace/events';
import { createGicV2Model } from './v2/model';
import { GICV2_REGISTRY } from './v2/registry';
import { GicV3Model } from './v3/model';
import { GicV3Registry } from './v3/registry';

export interface ModelOptions {
  deps?: DepTracker;
  /** Tests: check every incremental settle against the full computation (engine/gic/core/vgic.ts). */
  verifyIncremental?: boolean;
}

export function createModel(gic: GicConfig, policy: Policy, opts: ModelOptions = {}): GicModel {
  const deps = opts.deps ?? NO_DEPS;
  const core = { verifyIncremental: opts.verifyIncremental };
  if (gic.version === 2) return createGicV2Model(gic, policy, deps, core);
  if (gic.version === 3) return new GicV3Model(gic, policy, deps, core);
  throw new InputError(`GICv${String(gic.version)} is not a GIC version gicreplay models`, undefined, '2 or 3');
}

export function registryFor(gic: GicConfig): RegisterRegistry {
  if (gic.version === 2) return GICV2_REGISTRY;
  if (gic.version === 3) return new GicV3Registry(gic);
  throw new InputError(`GICv${String(gic.version)} is not a GIC version gicreplay models`, undefined, '2 or 3');
}
