// What a scripted test guest is: a name, the scenario it models, a GIC configuration, and a
// program every vCPU runs. Programs are generator functions; every access is a `yield*` so the
// scheduler can interleave vCPUs by cycle (see machine.ts). Guest authors read README.md and
// import everything from here.

import type { GuestGic } from './host';
import type { Step } from './step';
import type { Vcpu } from './vcpu';

export { SCHED } from './step';
export type { SchedToken, Step, Value } from './step';
export type { GuestGic, VcpuHost } from './host';
export type { Handler } from './vcpu';

/** Code one vCPU runs; `c.id` says which vCPU it is. */
export type VcpuProgram = (c: Vcpu) => Step<void>;

export interface GuestDefinition {
  /** Stable ID, also the trace file name: traces/guests/<name>.gtr. */
  name: string;
  /** One line: what the guest does. */
  title: string;
  /** The public scenario it is modelled on, with source file and function. */
  scenario: string;
  gic: GuestGic;
  /** Policy the guest is recorded under (its own assertions hold under it); default rev3. */
  policy?: string;
  /**
   * Fresh program per recording (state shared between vCPUs lives in this closure), so two
   * recordings in one process never see each other's state.
   */
  program(): VcpuProgram;
  /** Guest-time budget: recording fails if the guest makes more events than this (default 100000). */
  maxEvents?: number;
}

export function defineGuest(def: GuestDefinition): GuestDefinition {
  return def;
}
