// BUG_ON for the userspace port: where the kernel would BUG(), print the site and
// abort, so a fuzzer or test sees a crash with a clear first line.
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
