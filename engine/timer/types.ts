// The contract between replay and the generic-timer model (one EL1 virtual and one EL1 physical
// timer per vCPU). The timer drives its PPI as a level-sensitive input at the exact cycle its
// condition changes, which may fall between two recorded events.

import { ReadResult, WriteResult } from '../model/model';

export interface TimerLineChange {
  cpu: number;
  intid: number;
  level: 0 | 1;
}

export interface TimerModel {
  /** True for the system registers this model serves (CNT*). */
  serves(enc: number): boolean;
  read(cpu: number, enc: number, cycle: bigint, observed: bigint | null): ReadResult;
  write(cpu: number, enc: number, value: bigint, cycle: bigint): WriteResult;
  /** Earliest cycle strictly after `after` at which some timer output level changes, or null if none will. */
  nextChange(after: bigint): bigint | null;
  /** Evaluate every timer at `cycle` and return the output levels that changed since the last evaluation. */
  evaluate(cycle: bigint): TimerLineChange[];
  /**
   * Whether the model drives this (cpu, intid) line itself (the trace programmed that timer), so a
   * recorded line event for it is a check, not an input.
   */
  drivesLine(cpu: number, intid: number): boolean;
  /** The level the model drives on a line it owns. */
  lineLevel(cpu: number, intid: number): 0 | 1;
}
