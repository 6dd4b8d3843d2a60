// HARNESS_CHECK: a condition the harness itself relies on. A failure is a bug of the
// harness (never of impl), reported as such so it is not mistaken for a finding.
#pragma once

#include <cstdio>
#include <cstdlib>

#define HARNESS_CHECK(cond)                                                               \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "[harness bug] %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                                \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)
