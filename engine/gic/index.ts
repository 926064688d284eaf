// Model factory: picks the GICv2 or GICv3 model for a trace's configuration.

import { InputError } from '../errors';
import { DepTracker, NO_DEPS } from '../model/deps';
import { GicModel, RegisterRegistry } from '../model/model';
import { Policy } from '../policy/policy';
import { GicConfig } from '../trace/events';

export interface ModelOptions {
  deps?: DepTracker;
}

export function createModel(gic: GicConfig, policy: Policy, opts: ModelOptions = {}): GicModel {
  const deps = opts.deps ?? NO_DEPS;
  void deps;
  void policy;
  throw new InputError(`GICv${gic.version} model not built yet`);
}

export function registryFor(gic: GicConfig): RegisterRegistry {
  throw new InputError(`GICv${gic.version} register registry not built yet`);
}
