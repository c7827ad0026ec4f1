// CRC-32C with the SSE 4.2 CRC32 instruction: 8 bytes per instruction instead of 8 table
// lookups. The instruction cannot be reached from Swift (it needs a per-function target
// attribute), so it lives here; other CPUs use the Swift tables (TrainscapeIO/Ingest/CRC.swift).
#include "crc32c_hw.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int trainscape_crc32c_hw_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

__attribute__((target("sse4.2")))
uint32_t trainscape_crc32c_hw(uint32_t crc, const void *p, size_t n) {
  const unsigned char *b = (const unsigned char *)p;
  uint64_t c = ~crc;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, b, 8);
    c = _mm_crc32_u64(c, w);
    b += 8;
    n -= 8;
  }
  uint32_t c32 = (uint32_t)c;
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, *b++);
    n--;
  }
  return ~c32;
}
#else
int trainscape_crc32c_hw_available(void) { return 0; }

uint32_t trainscape_crc32c_hw(uint32_t crc, const void *p, size_t n) {
  (void)p;
  (void)n;
  return crc;
}
#endif
