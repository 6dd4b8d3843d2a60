// The bridge from property tests to the fuzzers: with ZSWAP_PROPS_CORPUS=dir set, every
// failing case is written as a fuzz input, dir/<target>/props.<test>, which repro and
// the fuzz targets read like any corpus file. rapidcheck's last failing case is its
// shrunk counterexample, so the file left behind is the minimal one.
#pragma once

#include <string>

#include "ops.h"

// Writes program when ZSWAP_PROPS_CORPUS is set; returns a note for the failure
// message naming the file and the command that replays it ("" when not set).
std::string save_counterexample(const std::string& target, const Program& program,
                                const std::string& repro_flags = "");
