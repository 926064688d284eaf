// The golden suite's public API. The CLI (tools/cli/commands/check.ts, bless.ts) is a thin layer
// over these; tests and other tools call them directly.

export { checkGoldens, mergeReports, verdictOf } from './run';
export type { CheckOptions } from './run';
export { blessGoldens } from './bless';
export type { BlessOptions, BlessResult, BlessOutcome } from './bless';
export { resolveConfig, decideWrite, isCi } from './config';
export type { GoldenConfig, UpdateMode } from './config';
export { parseShard, planSuite } from './manifest';
export { renderReport, renderDrift, renderPair, describeDifference, describeGroup } from './report';
export { renderJunit } from './junit';
export { readLedger, LEDGER_NAME } from './ledger';
export { checkPair } from './pair';
export { renderRecord, parseLine } from './render';
export { GOLDEN_FORMAT } from './format';
export * from './results';
