# The part of mbedTLS Coronet uses (SHA-1 and base64 for WebSocket, SHA-256) from the pinned source,
# configured by cmake/mbedtls_config.h. Guest or host role.
set(MBEDTLS_SRC ${CORONET_SOURCE_CACHE}/mbedtls)
if(NOT EXISTS ${MBEDTLS_SRC}/library/sha1.c)
  message(FATAL_ERROR "mbedTLS source missing at ${MBEDTLS_SRC}: run tools/deps")
endif()
# platform_util.c: mbedtls_platform_zeroize, which clears SHA-1's state; constant_time.c:
# mbedtls_ct_zero, under base64's constant-time table lookups.
add_library(coronet_mbedcrypto STATIC
  ${MBEDTLS_SRC}/library/sha1.c ${MBEDTLS_SRC}/library/sha256.c ${MBEDTLS_SRC}/library/base64.c
  ${MBEDTLS_SRC}/library/platform_util.c ${MBEDTLS_SRC}/library/constant_time.c)
target_include_directories(coronet_mbedcrypto SYSTEM PUBLIC ${MBEDTLS_SRC}/include)
target_include_directories(coronet_mbedcrypto PRIVATE ${MBEDTLS_SRC}/library)
# By absolute path: a bare "mbedtls_config.h" would find mbedTLS's own default config beside
# build_info.h. Public, so every includer of an mbedTLS header sees the same configuration.
target_compile_definitions(coronet_mbedcrypto PUBLIC
  "MBEDTLS_CONFIG_FILE=\"${CMAKE_CURRENT_LIST_DIR}/mbedtls_config.h\"")
if(CORONET_ARCH)
  target_link_libraries(coronet_mbedcrypto PRIVATE coronet_freestanding)
  target_compile_options(coronet_mbedcrypto PRIVATE -Wall -Wextra -Werror -fno-stack-protector)
endif()
