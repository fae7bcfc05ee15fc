#!/usr/bin/env python3
"""Writes the seed corpus for elf_fuzz into fuzz_corpus/: a few tiny ELF files and #! lines.

Names say what loader_test expects of each seed: ok_* parse and lay out, bad_* do not,
sh_ok_* / sh_bad_* are #! lines that parse or do not. Rerun after changing a seed here.
"""
import os
import struct

EHDR = struct.Struct('<16sHHIQQQIHHHHHH')  # Elf64_Ehdr, 64 bytes
PHDR = struct.Struct('<IIQQQQQQ')          # Elf64_Phdr, 56 bytes
PT_LOAD, PT_INTERP, PT_PHDR, PT_TLS, PT_GNU_STACK = 1, 3, 6, 7, 0x6474e551
PF_X, PF_W, PF_R = 1, 2, 4
ET_EXEC, ET_DYN = 2, 3
IDENT = b'\x7fELF\x02\x01\x01' + bytes(9)
EXIT0 = bytes.fromhex('b83c00000031ff0f05')  # mov eax, 60; xor edi, edi; syscall


def elf(etype, entry, phdrs, tail=b'', ident=IDENT, machine=62, phentsize=56):
    """phdrs: (type, flags, offset, vaddr, filesz, memsz, align); file = headers + tail."""
    phoff = EHDR.size
    head = EHDR.pack(ident, etype, machine, 1, entry, phoff, 0, 0, EHDR.size, phentsize,
                     len(phdrs), 64, 0, 0)
    for t, flags, off, vaddr, filesz, memsz, align in phdrs:
        head += PHDR.pack(t, flags, off, vaddr, vaddr, filesz, memsz, align)
    return head + tail


def static_exe(**kw):
    size = EHDR.size + 2 * PHDR.size + len(EXIT0)
    code = size - len(EXIT0)
    return elf(ET_EXEC, 0x400000 + code,
               [(PT_LOAD, PF_R | PF_X, 0, 0x400000, size, size, 0x1000),
                (PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16)], EXIT0, **kw)


def pie(interp):
    n = 6 if interp else 5
    hdrs = EHDR.size + n * PHDR.size
    interp_off = hdrs
    path = b'/lib64/ld-linux-x86-64.so.2\0' if interp else b''
    code_off = interp_off + len(path)
    data_off = code_off + len(EXIT0)
    data = b'\x01' * 16
    size = data_off + len(data)
    phdrs = [(PT_PHDR, PF_R, EHDR.size, EHDR.size, n * PHDR.size, n * PHDR.size, 8)]
    if interp:
        phdrs.append((PT_INTERP, PF_R, interp_off, interp_off, len(path), len(path), 1))
    phdrs += [(PT_LOAD, PF_R | PF_X, 0, 0, data_off, data_off, 0x1000),
              # Data one page up at the same page offset, with 0x3000 bytes of bss.
              (PT_LOAD, PF_R | PF_W, data_off, 0x1000 + data_off, len(data), 0x3000, 0x1000),
              (PT_TLS, PF_R, data_off, 0x1000 + data_off, 8, 64, 8),
              (PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16)]
    return elf(ET_DYN, code_off, phdrs, path + EXIT0 + data)


def with_phdr(blob, index, **fields):
    """Rewrites fields of program header `index`."""
    off = EHDR.size + index * PHDR.size
    names = ['type', 'flags', 'offset', 'vaddr', 'paddr', 'filesz', 'memsz', 'align']
    values = dict(zip(names, PHDR.unpack_from(blob, off)))
    values.update(fields)
    return blob[:off] + PHDR.pack(*[values[n] for n in names]) + blob[off + PHDR.size:]


SEEDS = {
    'ok_static_exit': static_exe(),
    'ok_pie_interp': pie(True),
    'ok_static_pie': pie(False),
    'bad_magic': b'\x7fELG' + static_exe()[4:],
    'bad_machine_386': static_exe(machine=3),
    'bad_phentsize': static_exe(phentsize=32),
    'bad_truncated_phdrs': static_exe()[:100],
    'bad_interp_unterminated': with_phdr(pie(True), 1, filesz=27),
    'bad_filesz_gt_memsz': with_phdr(pie(True), 3, filesz=0x4000),
    'bad_offset_unaligned': with_phdr(pie(True), 3, offset=1),
    'sh_ok_plain': b'#!/bin/sh\necho hi\n',
    'sh_ok_arg': b'#!/bin/sh -e\n',
    'sh_ok_env_tabs': b'#! \t/usr/bin/env   python3 -u \t\n',
    'sh_bad_empty': b'#!\n',
    'sh_bad_truncated_name': b'#!/' + b'x' * 300 + b'\n',
}

if __name__ == '__main__':
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fuzz_corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
