// The code of the ptrace platform's stub processes. It is copied to
// kStubBase in every stub and must not use a stack (stubs have none).
// Offsets from stockade_stub_start are used by the Sentry.
#define MIRROR_BASE 0x7e0000000000
#define MIRROR_END  0x7f0000000000
#define STUB_BASE   0x7ffffffe0000
#define STUB_END    0x7fffffff0000
#define TASK_END    0x7ffffffff000

  .section .text.stockade_stub,"ax",@progbits
  .globl stockade_stub_start
  .globl stockade_stub_s0_entry
  .globl stockade_stub_idle
  .globl stockade_stub_inject
  .globl stockade_stub_clone_inject
  .globl stockade_stub_end
  .globl stockade_stub_s0_setup

stockade_stub_start:
// The factory stub's first code at its final address: drop every mapping but
// the mirror and this page, then stop for the factory's tracer.
stockade_stub_s0_entry:
  mov $11, %eax
  xor %edi, %edi
  movabs $MIRROR_BASE, %rsi
  syscall
  mov $11, %eax
  movabs $MIRROR_END, %rdi
  movabs $(STUB_BASE - MIRROR_END), %rsi
  syscall
  mov $11, %eax
  movabs $STUB_END, %rdi
  movabs $(TASK_END - STUB_END), %rsi
  syscall
  mov $39, %eax           // getpid
  syscall
  mov %rax, %rdi
  mov $19, %esi           // SIGSTOP
  mov $62, %eax           // kill
  syscall
// Waiting to be seized, or between injected system calls.
stockade_stub_idle:
  mov $34, %eax           // pause
  syscall
  jmp stockade_stub_idle
// An injected system call; the trap hands control back to the tracer.
stockade_stub_inject:
  syscall
  int3
// An injected clone: the new process or thread re-arms PDEATHSIG (it is
// not inherited) and idles; the caller traps back with the new ID.
stockade_stub_clone_inject:
  syscall
  test %rax, %rax
  jnz 1f
  mov $157, %eax          // prctl(PR_SET_PDEATHSIG, SIGKILL)
  mov $1, %edi
  mov $9, %esi
  syscall
  jmp stockade_stub_idle
1:
  int3
stockade_stub_end:

// Runs in the freshly forked factory stub, still in the Sentry's image:
// maps the memory-file mirror, closes every FD, copies the stub code to
// STUB_BASE and jumps there. No stack use: the stack copy may be replaced
// by the mirror mapping.  r12 = memory file FD.
  .text
stockade_stub_s0_setup:
  // mmap(MIRROR_BASE, MIRROR_END-MIRROR_BASE, PROT_NONE, MAP_SHARED|MAP_FIXED, fd, 0)
  mov $9, %eax
  movabs $MIRROR_BASE, %rdi
  movabs $(MIRROR_END - MIRROR_BASE), %rsi
  xor %edx, %edx
  mov $0x11, %r10d
  mov %r12, %r8
  xor %r9d, %r9d
  syscall
  cmp $-4095, %rax
  jae 9f
  // close_range(0, ~0U, 0)
  mov $436, %eax
  xor %edi, %edi
  mov $0xffffffff, %esi
  xor %edx, %edx
  syscall
  // mmap(STUB_BASE, STUB_END-STUB_BASE, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0)
  mov $9, %eax
  movabs $STUB_BASE, %rdi
  movabs $(STUB_END - STUB_BASE), %rsi
  mov $3, %edx
  mov $0x32, %r10d
  mov $-1, %r8
  xor %r9d, %r9d
  syscall
  cmp $-4095, %rax
  jae 9f
  // copy the stub code
  lea stockade_stub_start(%rip), %rsi
  movabs $STUB_BASE, %rdi
  lea stockade_stub_end(%rip), %rcx
  sub %rsi, %rcx
  cld
  rep movsb
  // mprotect(STUB_BASE, size, PROT_READ|PROT_EXEC)
  mov $10, %eax
  movabs $STUB_BASE, %rdi
  movabs $(STUB_END - STUB_BASE), %rsi
  mov $5, %edx
  syscall
  test %rax, %rax
  jnz 9f
  movabs $STUB_BASE, %rax
  jmp *%rax
9:
  mov $231, %eax          // exit_group(127)
  mov $127, %edi
  syscall
  .section .note.GNU-stack,"",@progbits
