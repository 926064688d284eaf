// Entry of the Linux L2 guest ELF (tools/kvm/linux-guest): vCPU 0 starts here at EL1, MMU and
// caches off as KVM resets it; the arm64 boot protocol wants x0 = the DTB, x1-x3 = 0, then the
// Image at a 2 MiB-aligned base (text_offset 0). The Image, DTB and initrd are PT_LOAD segments
// at the addresses wrap.ld gives and virt.dts names.
  .section .boot,"ax"
  .global _start
_start:
  ldr x0, =0x44800000
  mov x1, xzr
  mov x2, xzr
  mov x3, xzr
  ldr x4, =0x40000000
  br x4
  .ltorg
  .section .image,"ax"
  .incbin "Image"
  .section .dtb,"a"
  .incbin "virt.dtb"
  .section .initrd,"a"
  .incbin "initrd"
