// The mutant switch: the catalogue is complete and every name round-trips.
#include "mutants.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

// The design's fifteen, and four of the lock and bound classes (a refcount updated
// without its lock, a lock retaken by its holder, an inversion, an in-flight bound).
TEST(Mutants, CatalogueHasTheNineteen) {
  EXPECT_EQ(kMutantCount, 19);
  std::set<std::string> names;
  for (int i = 1; i <= kMutantCount; i++) {
    const auto m = static_cast<Mutant>(i);
    const std::string name = mutants::name(m);
    names.insert(name);
    ASSERT_EQ(mutants::parse(name), m) << name;
    EXPECT_STRNE(mutants::description(m), "") << name;
  }
  EXPECT_EQ(names.size(), 19u) << "names are distinct";
  EXPECT_EQ(mutants::parse("none"), Mutant::none);
  EXPECT_EQ(mutants::parse("no_such_mutant"), std::nullopt);
}

TEST(Mutants, SelectSwitchesTheActiveMutant) {
  const Mutant before = mutants::active;
  mutants::select(Mutant::double_erase);
  EXPECT_TRUE(mutants::is(Mutant::double_erase));
  EXPECT_FALSE(mutants::is(Mutant::reswapon_leak));
  mutants::select(before);
}

}  // namespace
