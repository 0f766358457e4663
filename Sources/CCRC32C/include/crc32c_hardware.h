#ifndef MMM_CRC32C_HARDWARE_H
#define MMM_CRC32C_HARDWARE_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU computes CRC-32C in hardware (x86-64 with SSE4.2; 64-bit ARM with the CRC
/// extension, known at compile time). Checked once by the caller.
int mmm_crc32c_hardware_available(void);

/// Continues a CRC-32C over `count` bytes with the CPU's instruction. `crc` is the running value
/// as the instruction keeps it (the caller inverts before and after). Only call it when
/// `mmm_crc32c_hardware_available()` returned 1.
uint32_t mmm_crc32c_hardware_update(uint32_t crc, const uint8_t *bytes, size_t count);

#endif
