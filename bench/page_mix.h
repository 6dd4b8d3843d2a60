// A deterministic mix of 4 KiB pages for the benchmarks: pages cut from shared
// libraries and text files already on the machine, zero pages and random pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using BenchPage = std::vector<unsigned char>;  // 4096 bytes (same type as ref::Page)

struct PageMix {
  std::vector<BenchPage> pages;  // shuffled, so the kinds interleave
  std::size_t library = 0, text = 0, zero = 0, random = 0;  // pages of each kind
  std::size_t library_files = 0, text_files = 0;           // files they were cut from
  std::string describe() const;  // the actual counts and proportions
};

// Aims for 40% library, 30% text, 15% zero and 15% random pages. When the machine
// has too few library (text) pages, text (library) pages make up the difference;
// what is still missing is made up by zero and random pages in their 1:1 ratio.
// Same files on disk and same seed give the same pages in the same order.
PageMix make_page_mix(std::size_t n, std::uint64_t seed = 1);
