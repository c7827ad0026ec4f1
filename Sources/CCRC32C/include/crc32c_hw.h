#ifndef TRAINSCAPE_CRC32C_HW_H
#define TRAINSCAPE_CRC32C_HW_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SSE 4.2 CRC32 instruction (x86-64 only), else 0.
int trainscape_crc32c_hw_available(void);

/// The CRC-32C (Castagnoli) of `n` bytes at `p`, continuing `crc` (0 to start; pre- and
/// post-inversion included), with the CPU's CRC32 instruction. Call only when
/// trainscape_crc32c_hw_available() returned 1.
uint32_t trainscape_crc32c_hw(uint32_t crc, const void *p, size_t n);

#endif
