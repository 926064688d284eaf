// QEMU 7.2's GIC trace events (hw/intc/trace-events), one row per event, with the printf format
// as the `log` backend prints it. PRIx64/PRIx32 are written as %x: the backend prints plain
// lower-case hex for them. A row's role says what the importer does with its lines:
//   access      a guest register access (kept as an MMIO or system-register event)
//   line        an input line level change (kept as a Line event)
//   its         an ITS command QEMU decoded from its command queue, or an MSI (GITS_TRANSLATER):
//               rebuilt as the guest-memory write of the command (mem-write) or KVM_SIGNAL_MSI (msi)
//   internal    QEMU bookkeeping that adds nothing the access lines lack (checked, counted, dropped)
//   unsupported a real event a KVM guest cannot produce (EL3, nested virtualization, GICv2
//               virtualization extensions): rejected unless --skip-unknown

export type QemuEventRole = 'access' | 'line' | 'its' | 'internal' | 'unsupported';

export interface QemuEventFormat {
  name: string;
  format: string;
  role: QemuEventRole;
  /** Why an unsupported event cannot be imported (for the error message). */
  why?: string;
}

const EL3 = 'EL3 registers; a KVM guest runs at EL1 and has no EL3';
const NESTED = 'virtualization registers (ICH_*/ICV_*); needs a guest hypervisor, which KVM vGIC traces do not cover';
const V2VIRT = 'GICv2 virtualization extensions (GICH/GICV); needs virtualization=on and a guest hypervisor';

function row(name: string, format: string, role: QemuEventRole, why?: string): QemuEventFormat {
  return why === undefined ? { name, format, role } : { name, format, role, why };
}

export const QEMU_EVENTS: readonly QemuEventFormat[] = [
  // arm_gic.c (GICv2)
  row('gic_enable_irq', 'irq %d enabled', 'internal'),
  row('gic_disable_irq', 'irq %d disabled', 'internal'),
  row('gic_set_irq', 'irq %d level %d cpumask 0x%x target 0x%x', 'line'),
  row('gic_update_bestirq', '%s %d irq %d priority %d cpu priority mask %d cpu running priority %d', 'internal'),
  row('gic_update_set_irq', 'cpu[%d]: %s = %d', 'internal'),
  row('gic_acknowledge_irq', '%s %d acknowledged irq %d', 'internal'),
  row('gic_cpu_write', '%s %d iface write at 0x%08x 0x%08x', 'access'),
  row('gic_cpu_read', '%s %d iface read at 0x%08x: 0x%08x', 'access'),
  row('gic_hyp_read', 'hyp read at 0x%08x: 0x%08x', 'unsupported', V2VIRT),
  row('gic_hyp_write', 'hyp write at 0x%08x: 0x%08x', 'unsupported', V2VIRT),
  row('gic_dist_read', 'dist read at 0x%08x size %u: 0x%08x', 'access'),
  row('gic_dist_write', 'dist write at 0x%08x size %u: 0x%08x', 'access'),
  row('gic_lr_entry', 'cpu %d: new lr entry %d: 0x%08x', 'unsupported', V2VIRT),
  row('gic_update_maintenance_irq', 'cpu %d: maintenance = %d', 'unsupported', V2VIRT),
  // arm_gicv3_cpuif.c
  row('gicv3_icc_pmr_read', 'GICv3 ICC_PMR read cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_pmr_write', 'GICv3 ICC_PMR write cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_bpr_read', 'GICv3 ICC_BPR%d read cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_bpr_write', 'GICv3 ICC_BPR%d write cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_ap_read', 'GICv3 ICC_AP%dR%d read cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_ap_write', 'GICv3 ICC_AP%dR%d write cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_igrpen_read', 'GICv3 ICC_IGRPEN%d read cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_igrpen_write', 'GICv3 ICC_IGRPEN%d write cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_igrpen1_el3_read', 'GICv3 ICC_IGRPEN1_EL3 read cpu 0x%x value 0x%x', 'unsupported', EL3),
  row('gicv3_icc_igrpen1_el3_write', 'GICv3 ICC_IGRPEN1_EL3 write cpu 0x%x value 0x%x', 'unsupported', EL3),
  row('gicv3_icc_ctlr_read', 'GICv3 ICC_CTLR read cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_ctlr_write', 'GICv3 ICC_CTLR write cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_ctlr_el3_read', 'GICv3 ICC_CTLR_EL3 read cpu 0x%x value 0x%x', 'unsupported', EL3),
  row('gicv3_icc_ctlr_el3_write', 'GICv3 ICC_CTLR_EL3 write cpu 0x%x value 0x%x', 'unsupported', EL3),
  row('gicv3_cpuif_update', 'GICv3 CPU i/f 0x%x HPPI update: irq %d group %d prio %d', 'internal'),
  row('gicv3_cpuif_set_irqs', 'GICv3 CPU i/f 0x%x HPPI update: setting FIQ %d IRQ %d', 'internal'),
  row('gicv3_icc_generate_sgi', 'GICv3 CPU i/f 0x%x generating SGI %d IRM %d target affinity 0x%xxx targetlist 0x%x', 'access'),
  row('gicv3_icc_iar0_read', 'GICv3 ICC_IAR0 read cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_iar1_read', 'GICv3 ICC_IAR1 read cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_eoir_write', 'GICv3 ICC_EOIR%d write cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_hppir0_read', 'GICv3 ICC_HPPIR0 read cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_hppir1_read', 'GICv3 ICC_HPPIR1 read cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_dir_write', 'GICv3 ICC_DIR write cpu 0x%x value 0x%x', 'access'),
  row('gicv3_icc_rpr_read', 'GICv3 ICC_RPR read cpu 0x%x value 0x%x', 'access'),
  row('gicv3_ich_ap_read', 'GICv3 ICH_AP%dR%d read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_ap_write', 'GICv3 ICH_AP%dR%d write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_hcr_read', 'GICv3 ICH_HCR_EL2 read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_hcr_write', 'GICv3 ICH_HCR_EL2 write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_vmcr_read', 'GICv3 ICH_VMCR_EL2 read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_vmcr_write', 'GICv3 ICH_VMCR_EL2 write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_lr_read', 'GICv3 ICH_LR%d_EL2 read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_lr32_read', 'GICv3 ICH_LR%d read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_lrc_read', 'GICv3 ICH_LRC%d read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_lr_write', 'GICv3 ICH_LR%d_EL2 write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_lr32_write', 'GICv3 ICH_LR%d write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_lrc_write', 'GICv3 ICH_LRC%d write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_vtr_read', 'GICv3 ICH_VTR read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_misr_read', 'GICv3 ICH_MISR read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_eisr_read', 'GICv3 ICH_EISR read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_ich_elrsr_read', 'GICv3 ICH_ELRSR read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_ap_read', 'GICv3 ICV_AP%dR%d read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_ap_write', 'GICv3 ICV_AP%dR%d write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_bpr_read', 'GICv3 ICV_BPR%d read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_bpr_write', 'GICv3 ICV_BPR%d write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_pmr_read', 'GICv3 ICV_PMR read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_pmr_write', 'GICv3 ICV_PMR write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_igrpen_read', 'GICv3 ICV_IGRPEN%d read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_igrpen_write', 'GICv3 ICV_IGRPEN%d write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_ctlr_read', 'GICv3 ICV_CTLR read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_ctlr_write', 'GICv3 ICV_CTLR write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_rpr_read', 'GICv3 ICV_RPR read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_hppir_read', 'GICv3 ICV_HPPIR%d read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_dir_write', 'GICv3 ICV_DIR write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_iar_read', 'GICv3 ICV_IAR%d read cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_icv_eoir_write', 'GICv3 ICV_EOIR%d write cpu 0x%x value 0x%x', 'unsupported', NESTED),
  row('gicv3_cpuif_virt_update', 'GICv3 CPU i/f 0x%x virt HPPI update LR index %d HPPVLPI %d grp %d prio %d', 'internal'),
  row('gicv3_cpuif_virt_set_irqs', 'GICv3 CPU i/f 0x%x virt HPPI update: setting FIQ %d IRQ %d', 'internal'),
  row('gicv3_cpuif_virt_set_maint_irq', 'GICv3 CPU i/f 0x%x virt HPPI update: setting maintenance-irq %d', 'internal'),
  // arm_gicv3_dist.c
  row('gicv3_dist_read', 'GICv3 distributor read: offset 0x%x data 0x%x size %u secure %d', 'access'),
  row('gicv3_dist_badread', 'GICv3 distributor read: offset 0x%x size %u secure %d: error', 'access'),
  row('gicv3_dist_write', 'GICv3 distributor write: offset 0x%x data 0x%x size %u secure %d', 'access'),
  row('gicv3_dist_badwrite', 'GICv3 distributor write: offset 0x%x data 0x%x size %u secure %d: error', 'access'),
  row('gicv3_dist_set_irq', 'GICv3 distributor interrupt %d level changed to %d', 'line'),
  // arm_gicv3_redist.c
  row('gicv3_redist_read', 'GICv3 redistributor 0x%x read: offset 0x%x data 0x%x size %u secure %d', 'access'),
  row('gicv3_redist_badread', 'GICv3 redistributor 0x%x read: offset 0x%x size %u secure %d: error', 'access'),
  row('gicv3_redist_write', 'GICv3 redistributor 0x%x write: offset 0x%x data 0x%x size %u secure %d', 'access'),
  row('gicv3_redist_badwrite', 'GICv3 redistributor 0x%x write: offset 0x%x data 0x%x size %u secure %d: error', 'access'),
  row('gicv3_redist_set_irq', 'GICv3 redistributor 0x%x interrupt %d level changed to %d', 'line'),
  row('gicv3_redist_send_sgi', 'GICv3 redistributor 0x%x pending SGI %d', 'internal'),
  // arm_gicv3_its.c
  row('gicv3_its_read', 'GICv3 ITS read: offset 0x%x data 0x%x size %u', 'access'),
  row('gicv3_its_badread', 'GICv3 ITS read: offset 0x%x size %u: error', 'access'),
  row('gicv3_its_write', 'GICv3 ITS write: offset 0x%x data 0x%x size %u', 'access'),
  row('gicv3_its_badwrite', 'GICv3 ITS write: offset 0x%x data 0x%x size %u: error', 'access'),
  // An MSI: normally a device's DMA write, not a CPU access; imported as KVM_SIGNAL_MSI (the way a
  // VMM delivers a device's MSI to KVM's vITS), the requester ID as DeviceID.
  row('gicv3_its_translation_write', 'GICv3 ITS TRANSLATER write: offset 0x%x data 0x%x size %u requester_id 0x%x', 'its'),
  row('gicv3_its_process_command', 'GICv3 ITS: processing command at offset 0x%x: 0x%x', 'its'),
  row('gicv3_its_cmd_int', 'GICv3 ITS: command INT DeviceID 0x%x EventID 0x%x', 'its'),
  row('gicv3_its_cmd_clear', 'GICv3 ITS: command CLEAR DeviceID 0x%x EventID 0x%x', 'its'),
  row('gicv3_its_cmd_discard', 'GICv3 ITS: command DISCARD DeviceID 0x%x EventID 0x%x', 'its'),
  row('gicv3_its_cmd_sync', 'GICv3 ITS: command SYNC', 'its'),
  row('gicv3_its_cmd_mapd', 'GICv3 ITS: command MAPD DeviceID 0x%x Size 0x%x ITT_addr 0x%x V %d', 'its'),
  row('gicv3_its_cmd_mapc', 'GICv3 ITS: command MAPC ICID 0x%x RDbase 0x%x V %d', 'its'),
  row('gicv3_its_cmd_mapi', 'GICv3 ITS: command MAPI DeviceID 0x%x EventID 0x%x ICID 0x%x', 'its'),
  row('gicv3_its_cmd_mapti', 'GICv3 ITS: command MAPTI DeviceID 0x%x EventID 0x%x ICID 0x%x pINTID 0x%x', 'its'),
  row('gicv3_its_cmd_inv', 'GICv3 ITS: command INV DeviceID 0x%x EventID 0x%x', 'its'),
  row('gicv3_its_cmd_invall', 'GICv3 ITS: command INVALL', 'its'),
  row('gicv3_its_cmd_movall', 'GICv3 ITS: command MOVALL RDbase1 0x%x RDbase2 0x%x', 'its'),
  row('gicv3_its_cmd_movi', 'GICv3 ITS: command MOVI DeviceID 0x%x EventID 0x%x ICID 0x%x', 'its'),
  row('gicv3_its_cmd_vmapi', 'GICv3 ITS: command VMAPI DeviceID 0x%x EventID 0x%x vPEID 0x%x Dbell_pINTID 0x%x', 'its'),
  row('gicv3_its_cmd_vmapti', 'GICv3 ITS: command VMAPI DeviceID 0x%x EventID 0x%x vPEID 0x%x vINTID 0x%x Dbell_pINTID 0x%x', 'its'),
  row('gicv3_its_cmd_vmapp', 'GICv3 ITS: command VMAPP vPEID 0x%x RDbase 0x%x V %d VPT_addr 0x%x VPT_size 0x%x', 'its'),
  row('gicv3_its_cmd_vmovp', 'GICv3 ITS: command VMOVP vPEID 0x%x RDbase 0x%x', 'its'),
  row('gicv3_its_cmd_vsync', 'GICv3 ITS: command VSYNC', 'its'),
  row('gicv3_its_cmd_vmovi', 'GICv3 ITS: command VMOVI DeviceID 0x%x EventID 0x%x vPEID 0x%x D %d Dbell_pINTID 0x%x', 'its'),
  row('gicv3_its_cmd_vinvall', 'GICv3 ITS: command VINVALL vPEID 0x%x', 'its'),
  row('gicv3_its_cmd_unknown', 'GICv3 ITS: unknown command 0x%x', 'its'),
  row('gicv3_its_cte_read', 'GICv3 ITS: Collection Table read for ICID 0x%x: valid %d RDBase 0x%x', 'internal'),
  row('gicv3_its_cte_write', 'GICv3 ITS: Collection Table write for ICID 0x%x: valid %d RDBase 0x%x', 'internal'),
  row('gicv3_its_cte_read_fault', 'GICv3 ITS: Collection Table read for ICID 0x%x: faulted', 'internal'),
  row('gicv3_its_ite_read', 'GICv3 ITS: Interrupt Table read for ITTaddr 0x%x EventID 0x%x: valid %d inttype %d intid 0x%x ICID 0x%x vPEID 0x%x doorbell 0x%x', 'internal'),
  row('gicv3_its_ite_read_fault', 'GICv3 ITS: Interrupt Table read for ITTaddr 0x%x EventID 0x%x: faulted', 'internal'),
  row('gicv3_its_ite_write', 'GICv3 ITS: Interrupt Table write for ITTaddr 0x%x EventID 0x%x: valid %d inttype %d intid 0x%x ICID 0x%x vPEID 0x%x doorbell 0x%x', 'internal'),
  row('gicv3_its_dte_read', 'GICv3 ITS: Device Table read for DeviceID 0x%x: valid %d size 0x%x ITTaddr 0x%x', 'internal'),
  row('gicv3_its_dte_write', 'GICv3 ITS: Device Table write for DeviceID 0x%x: valid %d size 0x%x ITTaddr 0x%x', 'internal'),
  row('gicv3_its_dte_read_fault', 'GICv3 ITS: Device Table read for DeviceID 0x%x: faulted', 'internal'),
  row('gicv3_its_vte_read', 'GICv3 ITS: vPE Table read for vPEID 0x%x: valid %d VPTsize 0x%x VPTaddr 0x%x RDbase 0x%x', 'internal'),
  row('gicv3_its_vte_read_fault', 'GICv3 ITS: vPE Table read for vPEID 0x%x: faulted', 'internal'),
  row('gicv3_its_vte_write', 'GICv3 ITS: vPE Table write for vPEID 0x%x: valid %d VPTsize 0x%x VPTaddr 0x%x RDbase 0x%x', 'internal'),
];

export interface CompiledFormat extends QemuEventFormat {
  regex: RegExp;
  /** The conversion of each capture, in order, for error messages ("%x" -> "hex number"). */
  convs: string[];
}

const CONV: Record<string, { re: string; what: string }> = {
  d: { re: '(-?[0-9]+)', what: 'a decimal number' },
  u: { re: '([0-9]+)', what: 'an unsigned decimal number' },
  x: { re: '([0-9a-f]+)', what: 'a hex number' },
  '08x': { re: '([0-9a-f]{8,16})', what: 'an 8-digit hex number' },
  s: { re: '([^ ]+)', what: 'a word' },
};

/** Turn a printf format into an anchored regex with one capture per conversion. */
export function compileFormat(f: QemuEventFormat): CompiledFormat {
  let re = '^';
  const convs: string[] = [];
  const parts = f.format.split(/(%(?:08x|[dusx]))/);
  for (const p of parts) {
    if (p.startsWith('%') && CONV[p.slice(1)]) {
      re += CONV[p.slice(1)].re;
      convs.push(p);
    } else {
      re += p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return { ...f, regex: new RegExp(`${re}$`), convs };
}

const compiled = new Map<string, CompiledFormat>(QEMU_EVENTS.map((e) => [e.name, compileFormat(e)]));

export function qemuEventFormat(name: string): CompiledFormat | undefined {
  return compiled.get(name);
}
