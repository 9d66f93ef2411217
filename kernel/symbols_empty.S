/* First-pass link of an image: an empty symbol table (see cmake/image.cmake). */
    .section .rodata.coronet_symtab, "a"
    .balign 8
    .global coronet_symtab_count
coronet_symtab_count:
    .quad 0
    .global coronet_symtab
coronet_symtab:
    .global coronet_symtab_strings
coronet_symtab_strings:
    .byte 0
