// CRC-32C with the CPU's own instruction: SSE4.2's crc32 on x86-64, the CRC extension's crc32c
// on 64-bit ARM. Both compute the reflected Castagnoli CRC that the Swift table code computes, so
// the two agree on every input (CRC32CTests checks it); elsewhere the Swift code is used.
#include "crc32c_hardware.h"
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

int mmm_crc32c_hardware_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}

__attribute__((target("sse4.2")))
uint32_t mmm_crc32c_hardware_update(uint32_t crc, const uint8_t *bytes, size_t count) {
    uint64_t running = crc;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        running = __builtin_ia32_crc32di(running, word);
        bytes += 8;
        count -= 8;
    }
    uint32_t result = (uint32_t)running;
    while (count > 0) {
        result = __builtin_ia32_crc32qi(result, *bytes);
        bytes += 1;
        count -= 1;
    }
    return result;
}

#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>

int mmm_crc32c_hardware_available(void) { return 1; }

uint32_t mmm_crc32c_hardware_update(uint32_t crc, const uint8_t *bytes, size_t count) {
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        crc = __crc32cd(crc, word);
        bytes += 8;
        count -= 8;
    }
    while (count > 0) {
        crc = __crc32cb(crc, *bytes);
        bytes += 1;
        count -= 1;
    }
    return crc;
}

#else

int mmm_crc32c_hardware_available(void) { return 0; }

uint32_t mmm_crc32c_hardware_update(uint32_t crc, const uint8_t *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return crc;
}

#endif
