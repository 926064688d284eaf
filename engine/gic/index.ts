// Model factory: picks the GICv2 or GICv3 model for a trace's configuration.

import { InputError } from '../errors';
import { DepTracker, NO_DEPS } from '../model/deps';
import { GicModel, RegisterRegistry } from '../model/model';
import { Policy } from '../policy/policy';
import { GicConfig } from '../trace/events';
import { createGicV2Model } from './v2/model';
import { GICV2_REGISTRY } from './v2/registry';

export interface ModelOptions {
  deps?: DepTracker;
}

export function createModel(gic: GicConfig, policy: Policy, opts: ModelOptions = {}): GicModel {
  const deps = opts.deps ?? NO_DEPS;
  if (gic.version === 2) return createGicV2Model(gic, policy, deps);
  void deps;
  void policy;
  throw new InputError(`GICv${gic.version} model not built yet`);
}

export function registryFor(gic: GicConfig): RegisterRegistry {
  if (gic.version === 2) return GICV2_REGISTRY;
  throw new InputError(`GICv${gic.version} register registry not built yet`);
}
