# lwIP 2.2.1 core (IPv4, IPv6, DHCP, NO_SYS) and its SNTP client compiled unmodified from the
# pinned source, configured by our port folder net/lwip/.
set(LWIP_SRC ${CORONET_SOURCE_CACHE}/lwip)
if(NOT EXISTS ${LWIP_SRC}/src/core/init.c)
  message(FATAL_ERROR "lwIP source missing at ${LWIP_SRC}: run tools/deps")
endif()
file(GLOB LWIP_CORE ${LWIP_SRC}/src/core/*.c ${LWIP_SRC}/src/core/ipv4/*.c ${LWIP_SRC}/src/core/ipv6/*.c)
list(APPEND LWIP_CORE ${LWIP_SRC}/src/netif/ethernet.c ${LWIP_SRC}/src/apps/sntp/sntp.c)
add_library(lwip STATIC ${LWIP_CORE})
target_link_libraries(lwip PRIVATE coronet_freestanding)
target_include_directories(lwip SYSTEM PUBLIC ${CMAKE_SOURCE_DIR}/net/lwip/port ${LWIP_SRC}/src/include)
target_compile_options(lwip PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter -fno-stack-protector)
