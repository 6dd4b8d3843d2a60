// BUG_ON for the userspace port: where the kernel would BUG(), print the site and
// abort, so a fuzzer or test sees a crash with a clear first line.
//
// ZSWAP_HARNESS_CHECKS (the CMake option of that name) is the one switch of the checks
// that exist for the harness, not for the kernel's behaviour: the lock validator,
// zbud's poisoning of released memory, the BUG_ONs on misuse of zbud's API that the
// kernel does not have, and a C heap block per page frame (page_alloc.h), so that
// ASan sees a freed frame. 1 in every build that runs tests or fuzzers; the release
// preset, which measures speed, sets 0.
#pragma once

#include <cstdio>
#include <cstdlib>

#define ZSWAP_BUG_ON(cond)                                                          \
  do {                                                                              \
    if (__builtin_expect(!!(cond), 0)) {                                            \
      std::fprintf(stderr, "[invariant] kernel BUG at %s:%d: %s\n", __FILE__,      \
                   __LINE__, #cond);                                                \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

#ifndef ZSWAP_HARNESS_CHECKS
#define ZSWAP_HARNESS_CHECKS 1
#endif

// A BUG_ON the kernel does not have: compiled only with ZSWAP_HARNESS_CHECKS.
#define ZSWAP_HARNESS_BUG_ON(cond)                \
  do {                                            \
    if (ZSWAP_HARNESS_CHECKS) ZSWAP_BUG_ON(cond); \
  } while (0)
