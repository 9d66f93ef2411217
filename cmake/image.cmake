# coronet_image(board image-name SOURCES...): links a bootable image in two passes. The first
# pass yields the text symbols; they become a sorted table in .rodata that the panic handler
# uses to name backtrace frames. .text precedes .rodata, so the table cannot move any code.
find_package(Python3 REQUIRED COMPONENTS Interpreter)

function(coronet_image board name)
  cmake_parse_arguments(IMG "" "LINKER_SCRIPT" "SOURCES;LIBRARIES" ${ARGN})
  set(out ${CMAKE_BINARY_DIR}/boards/${board})
  set(common_libs ${IMG_LIBRARIES} coronet_net coronet_drivers coronet_kernel coronet_arch lwip)
  if(TARGET fdt)
    list(APPEND common_libs fdt)
  endif()
  set(link_opts -nostdlib -static -no-pie -Wl,--gc-sections -Wl,-z,max-page-size=4096
      -Wl,--build-id=none -Wl,-z,noexecstack -Wl,-T,${IMG_LINKER_SCRIPT} -Wl,--no-warn-rwx-segments)
  set(tail_libs ${PICOLIBC_LIBC} gcc)

  set(stage1 ${board}-${name}-stage1)
  add_executable(${stage1} ${IMG_SOURCES} ${CMAKE_SOURCE_DIR}/kernel/symbols_empty.S)
  target_link_libraries(${stage1} PRIVATE coronet_strict -Wl,--start-group ${common_libs} ${tail_libs} -Wl,--end-group)
  target_link_options(${stage1} PRIVATE ${link_opts})
  set_target_properties(${stage1} PROPERTIES OUTPUT_NAME ${name}.stage1.elf RUNTIME_OUTPUT_DIRECTORY ${out}
    LINK_DEPENDS ${IMG_LINKER_SCRIPT})

  set(symtab ${out}/${name}.symtab.S)
  add_custom_command(OUTPUT ${symtab}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/gen_symtab.py
            --nm ${CORONET_CROSS_PREFIX}nm --elf $<TARGET_FILE:${stage1}> --out ${symtab}
    DEPENDS ${stage1} ${CMAKE_SOURCE_DIR}/tools/gen_symtab.py
    COMMENT "Symbol table for ${board}/${name}")

  set(final ${board}-${name})
  add_executable(${final} ${IMG_SOURCES} ${symtab})
  target_link_libraries(${final} PRIVATE coronet_strict -Wl,--start-group ${common_libs} ${tail_libs} -Wl,--end-group)
  target_link_options(${final} PRIVATE ${link_opts})
  set_target_properties(${final} PROPERTIES OUTPUT_NAME ${name}.elf RUNTIME_OUTPUT_DIRECTORY ${out}
    LINK_DEPENDS ${IMG_LINKER_SCRIPT})
  # The table must not have moved code: compare every text symbol of both passes.
  add_custom_command(TARGET ${final} POST_BUILD
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/gen_symtab.py
            --nm ${CORONET_CROSS_PREFIX}nm --elf $<TARGET_FILE:${final}> --check-against $<TARGET_FILE:${stage1}>)
  if(CORONET_ARCH STREQUAL aarch64)
    add_custom_command(TARGET ${final} POST_BUILD
      COMMAND ${CORONET_CROSS_PREFIX}objcopy -O binary $<TARGET_FILE:${final}> ${out}/${name}.Image
      COMMENT "Linux arm64 Image for ${board}/${name}")
  endif()
endfunction()

# The images every board gets: the appliance and the in-guest test image.
function(coronet_board_images board linker_script board_source)
  coronet_image(${board} coronet LINKER_SCRIPT ${linker_script}
    SOURCES ${board_source} LIBRARIES coronet_app_appliance coronet_http coronet_websocket
              coronet_redis coronet_zlib coronet_mbedcrypto)
  coronet_image(${board} kernel-tests LINKER_SCRIPT ${linker_script}
    SOURCES ${board_source} LIBRARIES coronet_kernel_tests coronet_http coronet_websocket
              coronet_redis coronet_zlib coronet_mbedcrypto)
endfunction()
