// The shared vGIC core: interrupt store, KVM delivery rules, per-IRQ register handlers,
// the architectural CPU interface and the register-table machinery. Both models build on it.

export * from './irq-store';
export * from './vgic';
export * from './cpuif';
export * from './irq-regs';
export * from './regtable';
