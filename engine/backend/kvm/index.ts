// The real-KVM backend: replay traces on a Linux KVM/arm64 vGIC (native /dev/kvm, or nested under
// QEMU) and hold the model to it. See engine/backend/kvm/README.md.

export { replayOnKvm, KvmPolicyRefused } from './backend';
export type { KvmReplayOptions, KvmRunResult, KvmTraceResult } from './backend';
export { chooseHost, kernelPolicyId, releaseOfImage, NestedHost, NativeHost, KvmHostError } from './host';
export type { KvmHost, NestedOptions } from './host';
export { checkGoldensOnKvm } from './check';
export type { KvmCheckOptions } from './check';
export { kvmFidelity, compareTrace } from './fidelity';
export type { FidelityReport, FidelityTrace, FidelityDifference } from './fidelity';
export { baselineOf, compareWithBaseline, readBaseline, renderBaseline, DEFAULT_BASELINE } from './baseline';
export type { Baseline, BaselineComparison } from './baseline';
export { renderFidelity, fidelityCounts } from './render';
export { KVM_RULES } from './kvm-rules';
export { buildRunner, defaultKernel, INSTALL_HINT } from './build';
export { readBlindSpots, recordKvm, vmmJob, vmmTexts, defaultFtraceFile, RECORD_EVENTS, VIRT_VMM } from './record';
export type { KvmRecordOptions, KvmRecordResult } from './record';
export { fidelityCampaign, readOpenList, renderOpenList, writeShrunk, DEFAULT_CAMPAIGN_OPEN, generateStream, runCampaign, shrinkAll, eventClass, signature } from './campaign';
export type { CampaignResult, CampaignReport, ClassCounts, OpenList, Shrunk, Stream } from './campaign';
export { renderCampaign } from './campaign/render';
export { migrateOnKvm } from './migrate';
export type { KvmMigrateOptions, KvmMigrationReport, RefusedStep } from './migrate';
export { renderKvmMigrationText, kvmMigrationToJson } from './render-migrate';
