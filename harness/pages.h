// Page contents the tests, fuzzers and benchmarks store: each kind stands for a class
// of real swap pages and lands in a different part of zswap (zero pages compress to
// almost nothing, text to about a third, random pages are rejected as poorly
// compressible, and nearly_full pages compress to just over zbud's 3968-byte limit,
// right where the 2013 size-limit fix draws its line).
#pragma once

#include <cstdint>
#include <vector>

#define PAGE_KINDS(X) \
  X(zero)             \
  X(pattern)          \
  X(text)             \
  X(half_random)      \
  X(nearly_full)      \
  X(random)

enum class PageKind : std::uint8_t {
#define PAGE_KIND_ENUM(name) name,
  PAGE_KINDS(PAGE_KIND_ENUM)
#undef PAGE_KIND_ENUM
};

inline constexpr unsigned kPageKindCount = 0
#define PAGE_KIND_COUNT(name) +1
    PAGE_KINDS(PAGE_KIND_COUNT)
#undef PAGE_KIND_COUNT
    ;

const char* page_kind_name(PageKind kind);

// A 4096-byte page of the given kind; the same (kind, seed) always gives the same page.
std::vector<std::uint8_t> make_page(PageKind kind, std::uint32_t seed);
