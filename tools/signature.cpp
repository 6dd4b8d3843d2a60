#include "signature.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <regex>
#include <sstream>

namespace {

// A line carrying one of these reports a finding (what the targets and suites print).
constexpr const char* kFindingTags[] = {"[divergence]", "[invariant]", "[harness bug]", "ERROR: AddressSanitizer",
                                        "ERROR: LeakSanitizer", "runtime error:", "WARNING: ThreadSanitizer",
                                        "ERROR: ThreadSanitizer"};

// Digits and addresses vary from crash to crash of one bug: they become N.
std::string normalized(std::string_view text) {
  static const std::regex number("0x[0-9a-fA-F]+|[0-9]+");
  return std::regex_replace(std::string(text), number, "N");
}

std::string trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(' ');
  return begin == std::string_view::npos ? "" : std::string(text.substr(begin, text.find_last_not_of(' ') - begin + 1));
}

// The text before the first of `stops`, trimmed.
std::string cut(std::string_view text, std::initializer_list<std::string_view> stops) {
  std::size_t end = text.size();
  for (std::string_view stop : stops) end = std::min(end, text.find(stop));
  return trim(text.substr(0, end));
}

// "/path/impl/zbud.cpp:359: ..." -> "zbud.cpp:359" (the first file:line in text), or "".
std::string file_and_line(std::string_view text) {
  static const std::regex file_line(R"([^/\s:]+:\d+)");
  std::match_results<std::string_view::const_iterator> m;
  return std::regex_search(text.begin(), text.end(), m, file_line) ? m.str() : "";
}

// Drops the context the property suites append to a message (" [schedule pct:...]").
std::string without_context(std::string_view text) {
  static const std::regex context(R"(\s*\[[^\]]*\]\s*$)");
  return std::regex_replace(std::string(text), context, "");
}

// "(anonymous namespace)::Pool::free<int>(zbud_pool*, unsigned long)" -> "Pool::free".
std::string bare_function(std::string name) {
  static const std::regex anonymous(R"(\(anonymous namespace\)::)");
  name = std::regex_replace(name, anonymous, "");
  name = name.substr(0, name.find('('));
  std::string bare;
  int depth = 0;
  for (char c : name) {
    depth += c == '<';
    if (depth == 0) bare += c;
    depth -= c == '>' && depth > 0;
  }
  return bare;
}

// "@FUNC" of the first stack frame in impl/ ("#N 0x... in FUNC /path/impl/f.cpp:L:C"),
// or "" when the output holds none (the property suites print only the first line).
std::string impl_frame(std::string_view following) {
  static const std::regex frame(R"(#\d+ (?:0x[0-9a-fA-F]+ in )?(.+) \S*/impl/\S+)");
  std::istringstream lines{std::string(following)};
  std::smatch m;
  for (std::string line; std::getline(lines, line);)
    if (std::regex_search(line, m, frame)) return "@" + bare_function(m[1]);
  return "";
}

// What a rule sees: the finding line, the text after its marker, the output after the line.
struct FindingText {
  std::string_view line, rest, following;
};

// "[divergence] op #3 store(type=0, ...): return code: expected ..." (fuzz targets) and
// "store(type=0, ...): [divergence] return code: ..." (property suites) -> "store:return code".
std::string operation_and_category(const FindingText& f) {
  static const std::regex call(R"((\w+)\([^()]*\)[\s:]*([^:]*))");
  const std::size_t tag = f.line.find("[divergence]");
  const std::string text = std::string(f.line.substr(0, tag)) + std::string(f.rest);
  std::smatch m;
  if (!std::regex_search(text, m, call)) return normalized(without_context(trim(f.rest)));
  return m[1].str() + ":" + normalized(without_context(trim(m[2].str())));
}

// "ERROR: AddressSanitizer: heap-use-after-free on address 0x..." -> "heap-use-after-free@zbud_free"
std::string sanitizer_kind_at_site(const FindingText& f) {
  return normalized(cut(f.rest, {" on ", " (", ":"})) + impl_frame(f.following);
}

// Signature rules, by a marker in the finding line; the first rule that matches wins (so
// the specific markers come before the general tags they appear with).
struct Rule {
  const char* marker;
  const char* prefix;
  std::string (*rest)(const FindingText&);  // appended to prefix
};
const Rule kRules[] = {
    {kHarnessBugTag, "harness bug:", [](const FindingText& f) { return normalized(trim(f.rest)); }},
    // "[invariant] kernel BUG at /path/impl/zbud.cpp:359: cond" -> "bug@zbud.cpp:359"
    {"kernel BUG at", "bug@", [](const FindingText& f) { return file_and_line(f.rest); }},
    {"ERROR: LeakSanitizer", "lsan:leak", [](const FindingText&) { return std::string(); }},
    {"ERROR: AddressSanitizer: ", "asan:", sanitizer_kind_at_site},
    {"WARNING: ThreadSanitizer: ", "tsan:", sanitizer_kind_at_site},
    {"ERROR: ThreadSanitizer: ", "tsan:", sanitizer_kind_at_site},  // a SEGV before any warning
    // "/path/impl/zbud.cpp:12:3: runtime error: index 5 out of bounds for ..." -> "ubsan:index N out of bounds for ...@zbud.cpp:12"
    {"runtime error: ", "ubsan:",
     [](const FindingText& f) {
       const std::string site = file_and_line(f.line.substr(0, f.line.find("runtime error: ")));
       return normalized(cut(f.rest, {":"})) + (site.empty() ? "" : "@" + site);
     }},
    {"not linearizable", "divergence:not linearizable", [](const FindingText&) { return std::string(); }},
    {"[divergence]", "divergence:", operation_and_category},
    // "[invariant] type 0: 2 zbud handles live for 1 entries" -> "invariant:type N: N zbud handles live for N entries"
    {"[invariant]", "invariant:", [](const FindingText& f) { return normalized(without_context(trim(f.rest))); }},
};

}  // namespace

std::string signature(std::string_view line, std::string_view following) {
  for (const Rule& rule : kRules)
    if (const std::size_t at = line.find(rule.marker); at != std::string_view::npos)
      return rule.prefix + rule.rest({line, line.substr(at + std::strlen(rule.marker)), following});
  return normalized(line);  // unreachable for a line with a finding tag: every tag has a rule
}

std::optional<Finding> first_finding(std::string_view output) {
  std::optional<std::size_t> first;  // offset of the first finding line
  for (std::size_t begin = 0; begin < output.size();) {
    const std::size_t end = std::min(output.find('\n', begin), output.size());
    const std::string_view line = output.substr(begin, end - begin);
    if (line.find(kHarnessBugTag) != std::string_view::npos)
      return Finding{std::string(line), signature(line, output.substr(end)), true};
    if (!first && std::any_of(std::begin(kFindingTags), std::end(kFindingTags),
                              [&](const char* tag) { return line.find(tag) != std::string_view::npos; }))
      first = begin;
    begin = end + 1;
  }
  if (!first) return std::nullopt;
  const std::size_t end = std::min(output.find('\n', *first), output.size());
  const std::string_view line = output.substr(*first, end - *first);
  return Finding{std::string(line), signature(line, output.substr(end)), false};
}
