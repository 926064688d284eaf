// The GICv3 model and its register registry.

export { GicV3Model, V3_DIST, V3_REDIST } from './model';
export { GicV3Registry, formatV3Fields } from './registry';
export { V3State } from './state';
export { V3_ICC_ROWS, iccRow } from './icc-table';
export { V3_DIST_ROWS, gicdIidr, gicdTyper } from './dist-table';
export { V3_REDIST_ROWS, gicrTyper, gicrCtlr, SGI_BASE } from './redist-table';
