// Every CLI command, registered in help order. Add a command with one line here (edit, never rewrite this file).

import type { Argv } from 'yargs';
import type { CliContext } from '../context';
import { replayCommand } from './replay';
import { importCommand } from './import';
import { recordCommand } from './record';
import { checkCommand } from './check';
import { blessCommand } from './bless';
import { ledgerCommand } from './ledger';
import { reviewCommand } from './review';
import { traceCommand } from './trace';
import { diffCommand } from './diff';
import { migrateCommand } from './migrate';
import { matrixCommand } from './matrix';
import { fidelityCommand } from './fidelity';
import { minimizeCommand } from './minimize';
import { exportCommand } from './export';
import { campaignCommand } from './campaign';

export type CommandModule = (y: Argv, ctx: CliContext) => Argv;

/** The top-level command names, for "unknown command" (keep in step with COMMANDS). */
export const COMMAND_NAMES = ['check', 'bless', 'review', 'accept', 'reject', 'ledger', 'replay', 'diff', 'migrate', 'matrix', 'fidelity', 'campaign', 'minimize', 'export', 'run-repro', 'run-qtest', 'trace', 'import', 'record'];

export const COMMANDS: CommandModule[] = [
  checkCommand,
  blessCommand,
  reviewCommand,
  ledgerCommand,
  replayCommand,
  diffCommand,
  migrateCommand,
  matrixCommand,
  fidelityCommand,
  campaignCommand,
  minimizeCommand,
  exportCommand,
  traceCommand,
  importCommand,
  recordCommand,
];
