#include "page_mix.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kPage = 4096;
constexpr unsigned kLibraryPercent = 40, kTextPercent = 30, kZeroPercent = 15;  // random: the rest
constexpr std::size_t kPagesPerFile = 4;  // so that one big file does not dominate

// Regular files (not symlinks, which would repeat their targets) under dir, sorted,
// since directory iteration order is unspecified. Unreadable directories are skipped.
std::vector<fs::path> files_under(const fs::path& dir, bool recursive) {
  std::vector<fs::path> out;
  std::error_code ec;
  auto add = [&](const fs::directory_entry& e) {
    if (!e.is_symlink(ec) && e.is_regular_file(ec)) out.push_back(e.path());
  };
  if (recursive) {
    for (const auto& e :
         fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec))
      add(e);
  } else {
    for (const auto& e : fs::directory_iterator(dir, ec)) add(e);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_library(const fs::path& f) {
  return f.filename().string().find(".so") != std::string::npos;
}

// Text as in a page cache page of a text file: no NUL byte, nearly all printable.
// Rejects compressed files (most of /usr/share/doc is .gz).
bool is_text(const BenchPage& p) {
  std::size_t printable = 0;
  for (unsigned char c : p) {
    if (c == 0) return false;
    printable += (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' || c == '\r' || c >= 0x80;
  }
  return printable >= p.size() * 95 / 100;
}

// Whole pages cut from files, in file order, and the file each one came from.
struct Cut {
  std::vector<BenchPage> pages;
  std::vector<std::size_t> file;

  std::size_t files_in_first(std::size_t k) const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < k; i++) n += i == 0 || file[i] != file[i - 1];
    return n;
  }
};

// Up to kPagesPerFile whole pages spread evenly through each file, until there are
// `want` pages that pass `keep`. Files that cannot be read are skipped.
template <class Keep>
Cut cut_pages(const std::vector<fs::path>& files, std::size_t want, Keep keep) {
  Cut cut;
  for (std::size_t f = 0; f < files.size() && cut.pages.size() < want; f++) {
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(files[f], ec);
    std::ifstream in(files[f], std::ios::binary);
    if (ec || size < kPage || !in) continue;
    const std::uintmax_t npages = size / kPage;
    const std::uintmax_t take = std::min<std::uintmax_t>(npages, kPagesPerFile);
    for (std::uintmax_t k = 0; k < take && cut.pages.size() < want; k++) {
      BenchPage p(kPage);
      in.seekg(static_cast<std::streamoff>(k * npages / take * kPage));
      if (!in.read(reinterpret_cast<char*>(p.data()), kPage)) break;
      if (!keep(p)) continue;
      cut.pages.push_back(std::move(p));
      cut.file.push_back(f);
    }
  }
  return cut;
}

}  // namespace

PageMix make_page_mix(std::size_t n, std::uint64_t seed) {
  const std::size_t want_lib = n * kLibraryPercent / 100, want_text = n * kTextPercent / 100;
  const std::size_t want_zero = n * kZeroPercent / 100;
  const std::size_t want_random = n - want_lib - want_text - want_zero;
  const std::size_t want_files = want_lib + want_text;

  std::vector<fs::path> libs = files_under("/usr/lib/x86_64-linux-gnu", false);
  std::erase_if(libs, [](const fs::path& f) { return !is_library(f); });
  std::vector<fs::path> texts = files_under("/usr/share/common-licenses", false);
  const std::vector<fs::path> docs = files_under("/usr/share/doc", true);
  texts.insert(texts.end(), docs.begin(), docs.end());

  // Cut enough of each file kind to stand in for the other (see the header).
  const Cut lib = cut_pages(libs, want_files, [](const BenchPage&) { return true; });
  const Cut text = cut_pages(texts, want_files, is_text);
  PageMix mix;
  mix.text = std::min(want_text, text.pages.size());
  mix.library = std::min(lib.pages.size(), want_files - mix.text);
  mix.text = std::min(text.pages.size(), want_files - mix.library);
  const std::size_t rest = n - mix.library - mix.text;
  mix.zero = want_zero + want_random == 0 ? 0 : rest * want_zero / (want_zero + want_random);
  mix.random = rest - mix.zero;
  mix.library_files = lib.files_in_first(mix.library);
  mix.text_files = text.files_in_first(mix.text);

  mix.pages.assign(lib.pages.begin(), lib.pages.begin() + mix.library);
  mix.pages.insert(mix.pages.end(), text.pages.begin(), text.pages.begin() + mix.text);
  mix.pages.resize(mix.pages.size() + mix.zero, BenchPage(kPage, 0));
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < mix.random; i++) {
    BenchPage p(kPage);
    for (unsigned char& c : p) c = static_cast<unsigned char>(rng());
    mix.pages.push_back(std::move(p));
  }
  // Fisher-Yates by hand: std::shuffle's order differs between standard libraries.
  for (std::size_t i = mix.pages.size(); i > 1; i--) std::swap(mix.pages[i - 1], mix.pages[rng() % i]);
  return mix;
}

std::string PageMix::describe() const {
  const double total = static_cast<double>(std::max<std::size_t>(pages.size(), 1));
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "%zu pages: %zu library (%.1f%%, %zu files under /usr/lib/x86_64-linux-gnu), "
                "%zu text (%.1f%%, %zu files under /usr/share), %zu zero (%.1f%%), "
                "%zu random (%.1f%%)",
                pages.size(), library, 100 * library / total, library_files, text,
                100 * text / total, text_files, zero, 100 * zero / total, random,
                100 * random / total);
  return buf;
}
