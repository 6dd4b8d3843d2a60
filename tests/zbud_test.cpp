#include <gtest/gtest.h>
#include "zbud.h"
#include "swap_system.h"
#include "zswap_ref.h"
TEST(Build, Compiles) { SwapSystem s; EXPECT_EQ(zbud_get_pool_size(zswap_pool_of(&s.zs, 0)), 0u); }
