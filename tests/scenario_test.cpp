// A scripted scenario of mixed operations, run on impl and on ref side by side:
// every return code, every byte loaded, where it was loaded from, every counter and
// every pool size must agree after every operation.
#include <gtest/gtest.h>

#include <cerrno>
#include <random>
#include <sstream>

#include "compare.h"
#include "pages.h"
#include "swap_system.h"
#include "zswap_ref.h"

namespace {

constexpr std::uint32_t kSeed = 20261122;
constexpr int kOperations = 600;

struct Scenario {
  Scenario() : impl(impl_config()), model(ref_config()) {}

  static swap_system_config impl_config() {
    swap_system_config c;
    c.zswap.totalram_pages = 60;
    c.zswap.max_pool_percent = 10;
    c.swap.slots_per_type = 32;
    c.swap.max_outstanding_writeback = 6;
    return c;
  }
  static ref::SwapConfig ref_config() {
    ref::SwapConfig c;
    c.totalram_pages = 60;
    c.max_pool_percent = 10;
    c.slots_per_type = 32;
    c.max_outstanding_writeback = 6;
    return c;
  }

  // Runs one random operation on both; returns a description of it.
  std::string step(std::mt19937& rng) {
    auto pick = [&rng](unsigned n) { return static_cast<unsigned>(rng() % n); };
    const unsigned type = pick(4) == 0 ? pick(4) : pick(2);  // types 0-1 busy, 2-3 rare
    // Mostly a few hot offsets, so stores meet their own duplicates; 32 and 33 are
    // out of range.
    const pgoff_t off = pick(3) == 0 ? pick(34) : pick(6);
    std::ostringstream what;
    const unsigned op = pick(100);
    if (op < 45) {
      const auto kind = static_cast<PageKind>(pick(kPageKindCount));
      const std::uint32_t seed = rng();
      const auto page = make_page(kind, seed);
      what << "store(" << type << ", " << off << ", " << page_kind_name(kind) << ")";
      expect_same(what.str(), model.store(type, off, page), swap_store(&impl.swap, type, off, page.data()));
    } else if (op < 70) {
      what << "load(" << type << ", " << off << ")";
      ref::Page want(4096), got(4096);
      ref::Source ws;
      load_source gs;
      const int rw = model.load(type, off, &want, &ws);
      const int rg = swap_load(&impl.swap, type, off, got.data(), &gs);
      expect_same(what.str(), rw, rg);
      if (rw == 0 && rg == 0) {
        EXPECT_EQ(static_cast<int>(ws), static_cast<int>(gs)) << what.str() << ": source";
        EXPECT_TRUE(want == got) << what.str() << ": bytes differ";
      }
    } else if (op < 80) {
      what << "invalidate(" << type << ", " << off << ")";
      expect_same(what.str(), model.invalidate(type, off), swap_invalidate(&impl.swap, type, off));
    } else if (op < 86) {
      const unsigned n = 1 + pick(4);
      what << "shrink(" << n << ")";
      expect_same(what.str(), static_cast<int>(model.shrink(n)), static_cast<int>(zswap_shrink(&impl.zs, n)));
    } else if (op < 92) {
      const unsigned n = 1 + pick(6);
      what << "complete_io(" << n << ")";
      expect_same(what.str(), static_cast<int>(model.complete_io(n)),
                  static_cast<int>(swap_complete_io(&impl.swap, n)));
    } else if (op < 94) {
      const unsigned percent = 5 + pick(4) * 10;
      what << "max_pool_percent=" << percent;
      model.set_max_pool_percent(percent);
      impl.zs.max_pool_percent = percent;
    } else if (op < 96) {
      const unsigned n = pick(3);
      what << "fail_next_pages(" << n << ")";
      model.fail_next_pages(n);
      impl.pages.fail_next_pages(n);
    } else if (op < 97) {
      what << "fail_next_slab(1)";
      model.fail_next_slab(1);
      impl.pages.fail_next_slab(1);
    } else if (op < 99) {
      what << "swapoff(" << type << ")";
      expect_same(what.str(), model.swapoff(type), swapoff(&impl.swap, type));
    } else {
      what << "swapon(" << type << ")";
      expect_same(what.str(), model.swapon(type), swapon(&impl.swap, type));
    }
    const std::string diff =
        stats_mismatch(model.stats(), zswap_get_stats(&impl.zs), swap_get_stats(&impl.swap));
    EXPECT_EQ(diff, "") << "after " << what.str();
    unsigned types_on = 0;
    for (unsigned t = 0; t < 4; t++) {
      EXPECT_EQ(model.entries(t), zswap_entry_count(&impl.zs, t)) << "entries of type " << t;
      types_on += model.is_on(t);
    }
    // Quiescent invariants: every page in use is a pool page or a swap cache page,
    // and every tree allocated belongs to a type that is on.
    const swap_stats sw = swap_get_stats(&impl.swap);
    EXPECT_EQ(static_cast<std::uint64_t>(impl.pages.pages_in_use()),
              zswap_total_pool_pages(&impl.zs) + sw.swap_cache_pages)
        << "[invariant] pages leaked after " << what.str();
    EXPECT_EQ(impl.zs.live_trees.load(), static_cast<int>(types_on))
        << "[invariant] zswap trees leaked after " << what.str();
    return what.str();
  }

  static void expect_same(const std::string& what, int want, int got) {
    EXPECT_EQ(want, got) << what << ": return code";
  }

  SwapSystem impl;
  ref::SwapRef model;
};

TEST(Scenario, MixedOperationsAgreeWithRef) {
  std::mt19937 rng(kSeed);
  Scenario s;
  std::vector<std::string> trace;
  for (int i = 0; i < kOperations && !::testing::Test::HasFailure(); i++) trace.push_back(s.step(rng));
  if (::testing::Test::HasFailure()) {
    std::ostringstream out;
    for (std::size_t i = 0; i < trace.size(); i++) out << "  #" << i << " " << trace[i] << "\n";
    ADD_FAILURE() << "[divergence] seed " << kSeed << ", trace:\n" << out.str();
  }
  const zswap_stats z = zswap_get_stats(&s.impl.zs);
  // The scenario must exercise the interesting paths, or it proves little.
  EXPECT_GT(z.written_back_pages, 0u);
  EXPECT_GT(z.pool_limit_hit, 0u);
  EXPECT_GT(z.duplicate_entry, 0u);
  EXPECT_GT(z.reject_compress_poor, 0u);
  EXPECT_GT(swap_get_stats(&s.impl.swap).writeback_completed, 0u);
}

}  // namespace
