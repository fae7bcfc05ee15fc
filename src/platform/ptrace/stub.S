// The code of the ptrace platform's stub processes. It is copied to
// kStubBase in every stub and must not use a stack (stubs have none).
// Offsets from stockade_stub_start are used by the Sentry.
#define MIRROR_BASE 0x7e0000000000
#define MIRROR_END  0x7f0000000000
#define SYSMSG_BASE 0x7f0000000000
#define SYSMSG_END  0x7f0004000000
#define STUB_BASE   0x7ffffffe0000
#define STUB_END    0x7fffffff0000
#define TASK_END    0x7ffffffff000
// A code point's address in the stub.
#define STUB(sym) (STUB_BASE + ((sym) - stockade_stub_start))
// pause instructions the stub spins before it sleeps (systrap_platform.cc: kSpins)
#define SPINS 2000

  .section .text.stockade_stub,"ax",@progbits
  .globl stockade_stub_start
  .globl stockade_stub_s0_entry
  .globl stockade_stub_idle
  .globl stockade_stub_inject
  .globl stockade_stub_clone_inject
  .globl stockade_stub_systrap_clone
  .globl stockade_stub_systrap_ready
  .globl stockade_stub_systrap_sigaction
  .globl stockade_stub_fast_entry
  .globl stockade_stub_fast_save
  .globl stockade_stub_fast_resume
  .globl stockade_stub_fast_end
  .globl stockade_stub_fast_not_ours
  .globl stockade_stub_end
  .globl stockade_stub_s0_setup

stockade_stub_start:
// The factory stub's first code at its final address: drop every mapping but
// the mirror, the message region and this page, then stop for the factory's
// tracer.
stockade_stub_s0_entry:
  mov $11, %eax
  xor %edi, %edi
  movabs $MIRROR_BASE, %rsi
  syscall
  mov $11, %eax
  movabs $SYSMSG_END, %rdi
  movabs $(STUB_BASE - SYSMSG_END), %rsi
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

// --- systrap -----------------------------------------------------------------
// Slot layout (sysmsg.h): state at 0, signo at 4, fs_base at 8, gs_base at
// 16, fs_cur at 24, gs_cur at 32, sentry_sleeping at 40, stub_sleeping at 44,
// the ucontext's 23 gregs at 64, siginfo at 256, the FXSAVE area at 512,
// stack_t at 1024, sock_fprog at 1056; the signal stack above 4096.

// An injected clone whose child confines itself: its stack (from clone) is
// in its message slot, which the Sentry has filled. It sets its signal
// stack, no_new_privs and its seccomp filter, then stops in the handler
// (SIGILL at stockade_stub_systrap_ready) to wait for the Sentry.
stockade_stub_systrap_clone:
  syscall
  test %rax, %rax
  jnz 8f
  mov %rsp, %rbx
  and $-65536, %rbx
  mov $157, %eax          // prctl(PR_SET_PDEATHSIG, SIGKILL)
  mov $1, %edi
  mov $9, %esi
  syscall
  mov $131, %eax          // sigaltstack(&slot->ss, NULL)
  lea 1024(%rbx), %rdi
  xor %esi, %esi
  syscall
  test %rax, %rax
  jnz 7f
  mov $157, %eax          // prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
  mov $38, %edi
  mov $1, %esi
  xor %edx, %edx
  xor %r10d, %r10d
  xor %r8d, %r8d
  syscall
  test %rax, %rax
  jnz 7f
  mov $317, %eax          // seccomp(SECCOMP_SET_MODE_FILTER, 0, &slot->fprog)
  mov $1, %edi
  xor %esi, %esi
  lea 1056(%rbx), %rdx
  syscall
  test %rax, %rax
  jnz 7f
stockade_stub_systrap_ready:
  ud2
7:
  mov $60, %eax           // exit(1): the thread could not confine itself
  mov $1, %edi
  syscall
8:
  int3

// The handler of SIGSYS (a system call), the fault signals and the interrupt
// signal, on the slot's signal stack: saves the registers into the slot,
// reports (state 1, futex wake), waits for the Sentry (state 0: resume with
// the slot's registers; 2: exit), and returns through the restorer.
// rdi = signo, rsi = siginfo, rdx = ucontext.
systrap_handler:
  mov %rsp, %rbx
  and $-65536, %rbx
  // A signal stack outside the message region (the application can forge
  // one with rt_sigreturn) has no slot: the thread ends.
  movabs $SYSMSG_BASE, %rax
  cmp %rax, %rbx
  jb 6f
  movabs $SYSMSG_END, %rax
  cmp %rax, %rbx
  jae 6f
  mov %rdx, %r12
  // Inside the fast path past its probe, the slot holds a stop or the
  // Sentry's answer rather than registers to save.
  mov 168(%r12), %rax     // uc_mcontext.gregs[REG_RIP]
  movabs $STUB(stockade_stub_fast_save), %rcx
  cmp %rcx, %rax
  jb 10f
  movabs $STUB(stockade_stub_fast_end), %rcx
  cmp %rcx, %rax
  jae 10f
  movabs $STUB(stockade_stub_fast_resume), %rcx
  cmp %rcx, %rax
  jae 11f
  // Stopping or stopped: a signal someone sent (the Sentry's interrupt) is
  // reported once the thread resumes; a fault there is reported as any.
  cmpl $0, 8(%rsi)        // si_code
  jg 10f
  movl $1, 248(%rbx)
  ret
11:
  // Resuming: the Sentry's registers are in the slot, not yet in the thread.
  cmp $4, %edi            // SIGILL
  jne 12f
  movabs $STUB(fast_full), %rcx
  cmp %rcx, %rax
  je 4f                   // a full restore: the slot's registers, through the frame
  movabs $STUB(fast_irq), %rcx
  cmp %rcx, %rax
  jne 10f
  movl $0, 248(%rbx)      // the interruption remembered while stopped
  xor %edi, %edi
  jmp 13f
12:
  cmpl $0, 8(%rsi)
  jg 10f
13:
  mov %edi, 4(%rbx)       // interrupted at the Sentry's registers: stop as they are
  jmp 14f
10:
  mov %edi, 4(%rbx)
  lea 256(%rbx), %rdi     // siginfo
  mov $128, %ecx
  rep movsb
  lea 40(%r12), %rsi      // uc_mcontext.gregs
  lea 64(%rbx), %rdi
  mov $184, %ecx
  rep movsb
  mov 224(%r12), %rsi     // uc_mcontext.fpregs
  test %rsi, %rsi
  jz 1f
  lea 512(%rbx), %rdi
  mov $512, %ecx
  rep movsb
1:
  // The bases are the ones this handler last set (fs_cur, gs_cur): only the
  // Sentry changes them (arch_prctl traps), and this CPU has no wrfsbase.
  mov 24(%rbx), %rax
  mov %rax, 8(%rbx)
  mov 32(%rbx), %rax
  mov %rax, 16(%rbx)
  // Stopped: wake the Sentry if it sleeps (it spins first). xchg orders the
  // store before the load of its flag, as the Sentry's own xchg does.
14:
  mov $1, %eax
  xchg %eax, (%rbx)
  cmpl $0, 40(%rbx)
  je 1f
  mov $202, %eax          // futex(&slot->state, FUTEX_WAKE, 1)
  mov %rbx, %rdi
  mov $1, %esi
  mov $1, %edx
  xor %r10d, %r10d
  syscall
1:
  mov $SPINS, %ecx        // spin a little first: the Sentry often answers within microseconds
7:
  cmpl $1, (%rbx)
  jne 2f
  pause
  dec %ecx
  jnz 7b
2:
  mov (%rbx), %eax        // wait for 0 (resume) or 2 (exit); anything else (1, or what
  test %eax, %eax         // the application wrote there) is waited out
  jz 4f
  cmp $2, %eax
  je 3f
  mov $1, %edx            // stub_sleeping = 1, then sleep unless the state moved
  xchg %edx, 44(%rbx)
  mov %eax, %edx          // futex(&slot->state, FUTEX_WAIT, seen, NULL)
  mov $202, %eax
  mov %rbx, %rdi
  xor %esi, %esi
  xor %r10d, %r10d
  syscall
  movl $0, 44(%rbx)
  jmp 2b
3:
  mov $60, %eax           // exit(0): the Sentry let this thread go
  xor %edi, %edi
  syscall
4:
  lea 64(%rbx), %rsi      // the Sentry's registers
  lea 40(%r12), %rdi
  mov $184, %ecx
  rep movsb
  mov 224(%r12), %rdi
  test %rdi, %rdi
  jz 5f
  lea 512(%rbx), %rsi
  mov $512, %ecx
  rep movsb
  testq $1, (%r12)        // UC_FP_XSTATE: the legacy area is valid now
  jz 5f
  mov 224(%r12), %rdi
  orq $3, 512(%rdi)       // XSTATE_BV |= x87 | SSE
5:
  mov 8(%rbx), %rsi       // arch_prctl(ARCH_SET_FS, slot->fs_base) if it changed
  cmp 24(%rbx), %rsi
  je 8f
  mov %rsi, 24(%rbx)
  mov $158, %eax
  mov $0x1002, %edi
  syscall
8:
  mov 16(%rbx), %rsi      // arch_prctl(ARCH_SET_GS, slot->gs_base) if it changed
  cmp 32(%rbx), %rsi
  je 9f
  mov %rsi, 32(%rbx)
  mov $158, %eax
  mov $0x1001, %edi
  syscall
9:
  ret
6:
  mov $60, %eax           // exit(1)
  mov $1, %edi
  syscall
systrap_restorer:
  mov $15, %eax           // rt_sigreturn
  syscall

// The fast path: a patched syscall site's trampoline (kernel/syscall_patch.h)
// jumps here with rax = the system call's number and rcx = the address to
// return to, as the syscall instruction would leave rcx; r11 is free (the
// syscall instruction clobbers it too). The thread's GS base is its slot.
// It stops as the handler does, but without a signal: it saves the
// registers, FXSAVEs, reports kSysmsgFastSyscall and waits. The Sentry then
// either lets it return by plain loads and a jump (rflags kSysmsgFastFlags,
// same GS base, FP state untouched), or asks for a full restore (resume_full),
// which goes through the handler and rt_sigreturn.
//   [fast_entry, fast_save): the probe. A signal here is handled as anywhere
//     in the application; a GS base that is not a slot ends in a fault here,
//     which the Sentry takes as the system call (rax, rcx) it was.
//   [fast_save, fast_resume): stopping and stopped. The handler only notes a
//     signal (irq_pending) and returns.
//   [fast_resume, fast_end): resuming. A signal here is reported as an
//     interruption at the Sentry's registers, which are in the slot.
stockade_stub_fast_entry:
  movabs $0x5354434b53595354, %r11    // kSysmsgMagic
  cmp %r11, %gs:56
  jne stockade_stub_fast_not_ours
stockade_stub_fast_save:
  mov %r8, %gs:64
  mov %r9, %gs:72
  mov %r10, %gs:80
  movq $0x246, %gs:88     // r11 as the syscall instruction leaves it: rflags
  mov %r12, %gs:96
  mov %r13, %gs:104
  mov %r14, %gs:112
  mov %r15, %gs:120
  mov %rdi, %gs:128
  mov %rsi, %gs:136
  mov %rbp, %gs:144
  mov %rbx, %gs:152
  mov %rdx, %gs:160
  mov %rax, %gs:168
  mov %rcx, %gs:176
  mov %rsp, %gs:184
  mov %rcx, %gs:192       // rip
  movq $0x246, %gs:200    // rflags: kSysmsgFastFlags
  fxsave64 %gs:512
  movl $0x100, %gs:4      // kSysmsgFastSyscall
  mov %gs:24, %r11        // the bases are the ones last set
  mov %r11, %gs:8
  mov %gs:32, %r11
  mov %r11, %gs:16
  mov %gs:48, %rdi        // the slot's address, for futex
  mov $1, %eax
  xchg %eax, %gs:0
  cmpl $0, %gs:40
  je 1f
  mov $202, %eax          // futex(&slot->state, FUTEX_WAKE, 1)
  mov $1, %esi
  mov $1, %edx
  xor %r10d, %r10d
  syscall
1:
  mov $SPINS, %ecx
7:
  cmpl $1, %gs:0
  jne 2f
  pause
  dec %ecx
  jnz 7b
2:
  mov %gs:0, %eax
  test %eax, %eax
  jz stockade_stub_fast_resume
  cmp $2, %eax
  je 3f
  mov $1, %edx
  xchg %edx, %gs:44
  mov %eax, %edx          // futex(&slot->state, FUTEX_WAIT, seen, NULL)
  mov $202, %eax
  mov %gs:48, %rdi
  xor %esi, %esi
  xor %r10d, %r10d
  syscall
  movl $0, %gs:44
  jmp 2b
3:
  mov $60, %eax           // exit(0): the Sentry let this thread go
  xor %edi, %edi
  syscall
stockade_stub_fast_resume:
  cmpl $0, %gs:248
  jne fast_irq
  cmpl $0, %gs:252
  jne fast_full
  mov %gs:8, %rsi         // arch_prctl(ARCH_SET_FS, slot->fs_base) if it changed
  cmp %gs:24, %rsi
  je 8f
  mov %rsi, %gs:24
  mov $158, %eax
  mov $0x1002, %edi
  syscall
8:
  // The last flag change: equal, so rflags are kSysmsgFastFlags from here on.
  cmpq $0x246, %gs:200
  jne fast_full
  mov %gs:64, %r8
  mov %gs:72, %r9
  mov %gs:80, %r10
  mov %gs:88, %r11
  mov %gs:96, %r12
  mov %gs:104, %r13
  mov %gs:112, %r14
  mov %gs:120, %r15
  mov %gs:128, %rdi
  mov %gs:136, %rsi
  mov %gs:144, %rbp
  mov %gs:152, %rbx
  mov %gs:160, %rdx
  mov %gs:168, %rax
  mov %gs:176, %rcx
  mov %gs:184, %rsp
  jmp *%gs:192
fast_irq:
  ud2
fast_full:
  ud2
stockade_stub_fast_end:
stockade_stub_fast_not_ours:
  ud2

// struct sigaction (the kernel's) for every systrap signal.
  .balign 8
stockade_stub_systrap_sigaction:
  .quad STUB_BASE + (systrap_handler - stockade_stub_start)
  .quad 0x0c000004        // SA_SIGINFO | SA_ONSTACK | SA_RESTORER
  .quad STUB_BASE + (systrap_restorer - stockade_stub_start)
  .quad -1                // every signal blocked while it runs
stockade_stub_end:

// Runs in the freshly forked factory stub, still in the Sentry's image:
// maps the memory-file mirror and the systrap message region, closes every
// FD, copies the stub code to STUB_BASE and jumps there. No stack use: the
// stack copy may be replaced by the mirror mapping.  r12 = memory file FD,
// r13 = the systrap message file's FD or -1.
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
  // The systrap message file (r13 >= 0), or an empty reservation where it goes:
  // mmap(SYSMSG_BASE, SYSMSG_END-SYSMSG_BASE, PROT_NONE, MAP_SHARED|MAP_FIXED, r13, 0)
  // or the same MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED with no file.
  mov $9, %eax
  movabs $SYSMSG_BASE, %rdi
  mov $(SYSMSG_END - SYSMSG_BASE), %esi
  xor %edx, %edx
  mov $0x11, %r10d
  mov %r13, %r8
  test %r13, %r13
  jns 1f
  mov $0x32, %r10d
  mov $-1, %r8
1:
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
