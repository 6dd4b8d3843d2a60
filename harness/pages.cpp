#include "pages.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace {

constexpr std::size_t kPage = 4096;
// Random bytes compress to slightly more than themselves: 3950 of them plus the
// zero tail come to about 3990 bytes with lz4 or zstd.
constexpr std::size_t kNearlyFullRandomBytes = 3950;

// xorshift32: small, fast, and the same on every platform.
struct Rng {
  std::uint32_t state;
  explicit Rng(std::uint32_t seed) : state(seed * 2654435761u ^ 0x9e3779b9u) {
    if (state == 0) state = 1;
  }
  std::uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
};

constexpr std::array<std::string_view, 16> kWords = {
    "page ",  "swap ",   "entry ", "tree ",    "lock ",  "pool ", "buddy ",   "chunk ",
    "evict ", "reclaim ", "load ",  "store ", "offset ", "zbud ", "writeback ", "\n"};

// Fills [first, first + n) with random bytes, four per draw.
void fill_random(Rng& rng, std::uint8_t* first, std::size_t n) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const std::uint32_t r = rng.next();
    for (std::size_t b = 0; b < 4; b++) first[i + b] = static_cast<std::uint8_t>(r >> (8 * b));
  }
  const std::uint32_t r = rng.next();
  for (std::size_t b = 0; i < n; i++, b++) first[i] = static_cast<std::uint8_t>(r >> (8 * b));
}

}  // namespace

const char* page_kind_name(PageKind kind) {
  switch (kind) {
#define PAGE_KIND_NAME(name) \
  case PageKind::name:       \
    return #name;
    PAGE_KINDS(PAGE_KIND_NAME)
#undef PAGE_KIND_NAME
  }
  return "?";
}

std::vector<std::uint8_t> make_page(PageKind kind, std::uint32_t seed) {
  std::vector<std::uint8_t> page(kPage, 0);
  Rng rng(seed);
  switch (kind) {
    case PageKind::zero:
      break;
    case PageKind::pattern:
      for (std::size_t i = 0; i < 16; i++) page[i] = static_cast<std::uint8_t>(seed + i);
      for (std::size_t i = 16; i < kPage; i *= 2) std::memcpy(page.data() + i, page.data(), i);
      break;
    case PageKind::text:
      for (std::size_t i = 0; i < kPage;) {
        const std::string_view w = kWords[rng.next() % kWords.size()];
        const std::size_t n = std::min(w.size(), kPage - i);
        std::memcpy(page.data() + i, w.data(), n);
        i += n;
      }
      break;
    case PageKind::half_random:
      fill_random(rng, page.data(), kPage / 2);
      break;
    case PageKind::nearly_full:
      fill_random(rng, page.data(), kNearlyFullRandomBytes);
      break;
    case PageKind::random:
      fill_random(rng, page.data(), kPage);
      break;
  }
  return page;
}
