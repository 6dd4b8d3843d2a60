#include "pages.h"

#include <array>
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
      for (std::size_t i = 0; i < kPage; i++) page[i] = static_cast<std::uint8_t>(seed + i % 16);
      break;
    case PageKind::text:
      for (std::size_t i = 0; i < kPage;) {
        std::string_view w = kWords[rng.next() % kWords.size()];
        for (char c : w)
          if (i < kPage) page[i++] = static_cast<std::uint8_t>(c);
      }
      break;
    case PageKind::half_random:
      for (std::size_t i = 0; i < kPage / 2; i++) page[i] = static_cast<std::uint8_t>(rng.next());
      break;
    case PageKind::nearly_full:
      for (std::size_t i = 0; i < kNearlyFullRandomBytes; i++) page[i] = static_cast<std::uint8_t>(rng.next());
      break;
    case PageKind::random:
      for (auto& b : page) b = static_cast<std::uint8_t>(rng.next());
      break;
  }
  return page;
}
