#include "mutants.h"

#include <cstdlib>

namespace mutants {
namespace {

struct Entry {
  Mutant mutant;
  const char* name;
  const char* description;
};

constexpr Entry kTable[] = {
#define ZSWAP_MUTANT_ENTRY(n, what) {Mutant::n, #n, what},
    ZSWAP_MUTANTS(ZSWAP_MUTANT_ENTRY)
#undef ZSWAP_MUTANT_ENTRY
};

Mutant from_environment() {
  const char* env = std::getenv("ZSWAP_MUTANT");
  if (!env || !*env) return Mutant::none;
  if (auto m = parse(env)) return *m;
  std::fprintf(stderr, "error: unknown ZSWAP_MUTANT '%s'; valid names:\n", env);
  print_list(stderr);
  std::exit(2);
}

}  // namespace

Mutant active = from_environment();

const char* name(Mutant m) {
  for (const Entry& e : kTable)
    if (e.mutant == m) return e.name;
  return "none";
}

const char* description(Mutant m) {
  for (const Entry& e : kTable)
    if (e.mutant == m) return e.description;
  return "the clean implementation";
}

std::optional<Mutant> parse(std::string_view text) {
  if (text == "none") return Mutant::none;
  for (const Entry& e : kTable)
    if (text == e.name) return e.mutant;
  return std::nullopt;
}

void print_list(std::FILE* out) {
  for (const Entry& e : kTable) std::fprintf(out, "  %-28s %s\n", e.name, e.description);
}

void select(Mutant m) { active = m; }

}  // namespace mutants
