// The golden suite's public API. The CLI (tools/cli/commands/check.ts, bless.ts) is a thin layer
// over these; tests and other tools call them directly.

export { checkGoldens, mergeReports, verdictOf } from './run';
export type { CheckOptions } from './run';
export { blessGoldens } from './bless';
export type { BlessOptions, BlessResult, BlessOutcome } from './bless';
export { resolveConfig, decideWrite, isCi } from './config';
export type { GoldenConfig, UpdateMode } from './config';
export { parseShard, planSuite } from './manifest';
export { renderReport, renderDrift, renderPair, renderCommand, describeDifference, describeGroup, styleDiffLine } from './report';
export type { ReportRenderOptions, DriftRenderOptions } from './report';
export { summarize } from './summary';
export type { ReportSummary, DriftCause, DriftBlock, AttentionGroup } from './summary';
export type { Fix, BlessCommand } from './fixes';
export { renderJunit } from './junit';
export { readLedger, readLedgerBlesses, LEDGER_NAME } from './ledger';
export type { LedgerBless, LedgerEntry } from './ledger';
export { blessStamp } from './stamp';
export { acceptPending, DEFAULT_PENDING_DIR, defaultPendingDir, ensurePendingIgnored, listPending, pendingChange, removePending } from './pending';
export type { AcceptOptions, PendingChange, PendingFilter, PendingGolden } from './pending';
export { goldenSelector, renderBlessLog, renderGoldenHistory } from './ledger-render';
export type { BlessStamp } from './stamp';
export { checkPair } from './pair';
export { renderRecord, parseLine } from './render';
export { GOLDEN_FORMAT } from './format';
export * from './results';
