// `--backend model|kvm|kvm:IMAGE` and the KVM host options, shared by replay, check and fidelity.

import type { Argv } from 'yargs';
import { chooseHost, KvmHost, UsageError } from '../../../engine';

export interface BackendArgs {
  backend?: string;
  'kvm-host'?: string;
  'kvm-append'?: string;
  'kvm-run-timeout'?: number;
}

export function backendOptions<T>(y: Argv<T>, defaultBackend = 'model') {
  return y
    .option('backend', { type: 'string', default: defaultBackend, describe: 'model (the emulator), kvm (real Linux KVM/arm64: /dev/kvm on an arm64 host, else Debian\'s arm64 kernel nested under QEMU), or kvm:IMAGE (nested, that kernel Image)' })
    .option('kvm-host', { type: 'string', choices: ['auto', 'nested', 'native'], default: 'auto', describe: 'with --backend kvm: where KVM runs' })
    .option('kvm-append', { type: 'string', describe: 'with a nested KVM host: extra guest kernel command-line words (e.g. kvm-arm.vgic_v3_common_trap=1)' })
    .option('kvm-run-timeout', { type: 'number', default: 10000, describe: 'with --backend kvm: milliseconds one KVM_RUN may take before the guest counts as hung' });
}

/** The KVM host the arguments ask for, or null for the model backend. */
export function kvmHostFrom(a: BackendArgs): KvmHost | null {
  const b = a.backend ?? 'model';
  if (b === 'model') return null;
  const m = /^kvm(?::(.+))?$/.exec(b);
  if (!m) throw new UsageError(`--backend ${b}: expected model, kvm or kvm:IMAGE`);
  return chooseHost({ kernel: m[1], host: (a['kvm-host'] ?? 'auto') as 'auto' | 'nested' | 'native', nested: { append: a['kvm-append'] } });
}
