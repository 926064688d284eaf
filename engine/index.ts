// gicreplay's public library API: what the CLI (tools/cli/) uses, and what a Jest user or another
// tool may call. Everything else under engine/ is internal and may move; the CLI imports only
// from here (the layer rules in .dependency-cruiser.js enforce it).

// Errors and exit codes
export { EXIT_CLEAN, EXIT_DIFFERENT, EXIT_INPUT, InputError, Interrupted, UsageError } from './errors';
export type { InputLocation } from './errors';
export { GICREPLAY_VERSION, MODEL_VERSION } from './version';

// Traces
export type { GicConfig, TraceEvent, TraceHeader, TraceTrailer } from './trace/events';
export { openTrace, readTrace } from './trace/reader';
export type { ReadOptions, TraceReader } from './trace/reader';
export { TraceWriter, writeTrace } from './trace/writer';
export { synthEvents, synthHeader } from './trace/synth';
export { dumpTrace, formatInfo, traceFromJson, traceInfo, validateTrace } from './inspect/inspect';
export type { DumpOptions, TraceInfo, ValidateResult } from './inspect/inspect';

// Policies
export { builtinPolicies, getPolicy, loadPolicyFile, parsePolicy, BUILTIN_POLICY_IDS } from './policy/policy';
export type { Policy } from './policy/policy';
export { policyById, selectPolicies } from './policy/select';
export type { PolicyRequest, PolicySelection } from './policy/select';

// Replay
export { replayFile, replayEvents, replayStream, streamTrace, Replayer } from './replay/replay';
export type { ReplayOptions } from './replay/replay';
export type { ReplayRecord, ReplaySink, ReplaySummary } from './replay/records';
export { recordToJson } from './replay/render-json';
export { recordRenderer } from './golden/render';
export { styledRecordRenderer } from './golden/render-styled';

// Goldens
export * from './golden';

// Policy divergence
export { diffPolicies } from './divergence/diff';
export type { PolicyDiff } from './divergence/diff';
export { diffToJson, renderDiffText } from './divergence/render';
export { migrate, segmentHeader } from './divergence/migrate';
export type { MigrateOptions, MigrationPoint, MigrationReport } from './divergence/migrate';
export { VMM_RECIPES } from './divergence/migrate-recipe';
export type { VmmRecipeId } from './divergence/migrate-recipe';
export { migrationToJson, renderMigrationText } from './divergence/render-migrate';
export { traceMigrations } from './divergence/migrate-matrix';
export type { MigrationCell, TraceMigrations } from './divergence/migrate-matrix';
export { migrationMatrixToJson, renderMigrationMatrixTable, renderMigrationReport } from './divergence/render-migrate-matrix';
export { traceMatrix } from './divergence/matrix';
export type { TraceMatrix } from './divergence/matrix';
export { matrixToJson, renderGroups, renderMatrixReport, renderMatrixTable, renderMatrixTerminal } from './divergence/render-matrix';
export type { MatrixTerminalOptions } from './divergence/render-matrix';
export { summarizeBy, summarizeGroup } from './divergence/groups';
export type { ClassPair, GroupSummary } from './divergence/groups';

// Sources
export { defaultTracePath, formatImportSummary, importQemuLogToFile } from './sources/qemu/importer';
export { recordQemu } from './sources/qemu/record';
export { defaultOutput as defaultFtraceOutput, importFtrace, TRACE_CLOCKS } from './sources/ftrace/importer';
export { DEFAULT_VCPU_COMM } from './sources/ftrace/vcpu-map';

// Scripted test guests
export type { GuestDefinition } from './guests/api';
export { recordSet } from './guests/record-set';
export { catalogueModule, loadCatalogue } from './guests/catalogue-file';

// Files: the one way output is written, inputs are opened, and stdout is printed
export { checkOutputTarget, isStdoutTarget, openOutput, writeOutputFile } from './util/output-file';
export type { OutputOptions, OutputSink } from './util/output-file';
export { readInputFile, readInputText } from './util/input-file';
export { FdWriter, OutputClosed } from './util/fd-writer';
export { installFaults } from './util/faults';

// Terminal output: the colour decision and the styles renderers take
export { makeStyle, PLAIN, resolveColor } from './util/style';
export { isCi } from './util/ci';
export { canonicalJson } from './util/canonical-json';
export type { ColorChoice, Style } from './util/style';

// Project layout
export { findProjectRoot } from './util/project-root';
export { expandTracePaths, findTraceFiles } from './util/trace-files';
export { guestKindOf, readTraceTags, TAGS_FILE, UNTAGGED } from './util/trace-tags';
export type { TagFile, TraceTags } from './util/trace-tags';

// Real KVM (engine/backend/kvm/README.md)
export * from './backend/kvm';

// Minimal witnesses: the smallest trace that still shows a difference (engine/minimize/).
export { DEFAULT_MAX_REPLAYS, minimizeFile, minimizedToJson, renderMinimized, writeMinimized } from './minimize';
export type { MinimizeQuestion, MinimizeResult, MinimizeStep } from './minimize';
// Reproducers: a trace as a C program that checks on real KVM what a policy's golden records (engine/export/).
export { EXPORT_FORMATS, exportTrace } from './export';
export type { ExportFormat, ExportResult } from './export';
export { runRepros } from './export/run';
export type { ReproRun, ReproSource } from './export/run';
// The qtest export run against the installed QEMU through the qtest protocol.
export { parseQtest, runQtest } from './export/qtest-run';
export type { QtestRun } from './export/qtest-run';
