// What a scripted test guest is: a name, the scenario it models, a GIC configuration, and a
// program every vCPU runs. Programs are generator functions; every access is a `yield*` so the
// scheduler can interleave vCPUs by cycle (see machine.ts). Guest authors read README.md.

import { GicVersion } from '../trace/events';
import type { Vcpu } from './vcpu';

/** Token a guest step yields to hand control back to the scheduler. */
export const SCHED = Symbol('sched');
export type SchedToken = typeof SCHED;

/** One guest-side operation (or a sequence of them): run it with `yield*`, get its result. */
export type Step<T = void> = Generator<SchedToken, T, void>;

/** Code one vCPU runs; `c.id` says which vCPU it is. */
export type VcpuProgram = (c: Vcpu) => Step<void>;

/** An exception handler; `kind` says whether the IRQ or the FIQ vector was taken. */
export type Handler = (c: Vcpu, kind: 'irq' | 'fiq') => Step<void>;

export interface GuestGic {
  version: GicVersion;
  cpus: number;
  /** Number of SPIs (KVM's nr_spis): INTIDs 32 .. 32+spis-1. */
  spis: number;
}

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

/** Values guests pass: bigint, or a number that is a safe non-negative integer. */
export type Value = bigint | number;
