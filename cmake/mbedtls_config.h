// Coronet's mbedTLS configuration (MBEDTLS_CONFIG_FILE, replacing mbedTLS's default one): only
// what the WebSocket handshake and content checks need; anything not defined here is off.
#pragma once

// Sec-WebSocket-Accept is base64(SHA-1(key + GUID)) (RFC 6455 section 4.2.2): mbedtls_sha1().
#define MBEDTLS_SHA1_C
// ... and the base64 half of it: mbedtls_base64_encode().
#define MBEDTLS_BASE64_C
// SHA-256 of bodies fetched and sent by the outbound clients' in-guest tests (and apps).
#define MBEDTLS_SHA256_C

// The guest has no OS entropy source (no getrandom, no /dev/urandom): nothing may assume one.
// Inert until a module that gathers entropy (MBEDTLS_ENTROPY_C, for TLS) is enabled.
#define MBEDTLS_NO_PLATFORM_ENTROPY

// Deliberately absent, so the library needs nothing from the guest but memcpy/memset:
// MBEDTLS_FS_IO (no file system), MBEDTLS_THREADING_C (one CPU, cooperative coroutines),
// MBEDTLS_HAVE_TIME / MBEDTLS_HAVE_TIME_DATE (time() and gmtime_r() are not provided),
// MBEDTLS_PLATFORM_C (mbedtls_calloc/free stay calloc/free), MBEDTLS_SELF_TEST (printf).
