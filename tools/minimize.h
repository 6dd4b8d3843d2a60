// repro --minimize: the smallest race program that still fails the same way.
#pragma once

#include <string>

#include "ops.h"

// Removes threads and operations from program (read from file) while an exploration
// with at most max_preemptions still finds a failing schedule with the original
// failure's signature; each candidate is explored in a child process (a failure may
// crash it). Writes the smallest program with its failing schedule to out, checks that
// the file replays to the same signature, and prints the operation counts before and
// after. Returns 0 when out was written, 1 when program does not fail within the bound,
// 2 when the minimised file does not replay (a harness bug).
int minimize_file(const std::string& file, const Program& program, int max_preemptions, const std::string& out);
