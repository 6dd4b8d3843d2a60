// hunt's report: the table, the false alarms and harness bugs with their repro lines,
// each mutant's signatures, the summary line; and the same as JSON and as an SVG chart.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hunt.h"

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

std::string verdict_text(const Run& run) {
  const bool clean = run.mutant == Mutant::none;
  switch (run.verdict) {
    case Verdict::killed: return clean ? "FALSE ALARM" : seconds_text(run.seconds) + (run.under_zstd ? " zstd" : "");
    case Verdict::harness_bug: return "HARNESS BUG";
    case Verdict::survived: return clean ? "ok" : "-";
  }
  return "";
}



Summary summarize(const std::vector<Run>& runs, const std::vector<Row>& rows) {
  Summary s;
  s.total = static_cast<int>(rows.size());
  std::vector<double> times;
  for (const Row& row : rows)
    if (const Run* f = row.fastest()) times.push_back(f->seconds);
  s.killed = static_cast<int>(times.size());
  std::sort(times.begin(), times.end());
  if (!times.empty()) {
    const std::size_t n = times.size();
    s.median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    s.max = times.back();
  }
  for (const Run& run : runs) {
    s.false_alarms += run.mutant == Mutant::none && run.verdict == Verdict::killed;
    s.kills_under_zstd += run.mutant != Mutant::none && run.verdict == Verdict::killed && run.under_zstd;
    s.harness_bugs += run.verdict == Verdict::harness_bug;
  }
  return s;
}

void print_report(const Options& o, const std::vector<Run>& runs, const std::vector<Row>& rows, const Row& clean,
                  const Summary& s) {
  // A killer's column is as wide as its name, at least "FALSE ALARM".
  const auto print_cells = [](const Row& row) {
    for (const Run& run : row.runs)
      std::printf("  %-*s", static_cast<int>(std::max<std::size_t>(11, std::strlen(run.killer->name))),
                  verdict_text(run).c_str());
    std::printf("\n");
  };
  std::printf("\nbudget %ds per fuzz or stress run, property suites to their end (at most %ds), %zu at once\n",
              o.seconds, std::max(o.seconds, kPropsLimit), o.jobs);
  std::printf("%-27s %-18s %7s %4s", "mutant", "fastest killer", "seconds", "sigs");
  for (const Killer* k : o.killers) std::printf("  %-11s", k->name);
  std::printf("\n");
  for (const Row& row : rows) {
    const Run* f = row.fastest();
    std::printf("%-27s %-18s %7s %4zu", mutants::name(row.mutant), f ? f->killer->name : "(survived)",
                f ? seconds_text(f->seconds).c_str() : "-", row.signatures().size());
    print_cells(row);
  }
  std::printf("%-27s %-18s %7s %4s", "clean impl", "", "", "");
  print_cells(clean);

  const auto list = [&](const char* title, auto wanted) {
    bool any = false;
    for (const Run& run : runs) {
      if (!wanted(run)) continue;
      if (!any) std::printf("\n%s:\n", title);
      any = true;
      std::printf("  %s / %s: %s\n    repro: %s\n", run.mutant == Mutant::none ? "clean impl" : mutants::name(run.mutant),
                  run.killer->name, run.first_line.empty() ? run.note.c_str() : run.first_line.c_str(),
                  reproduce_command(o, run).c_str());
    }
  };
  list("FALSE ALARMS (the clean implementation was flagged)",
       [](const Run& r) { return r.mutant == Mutant::none && r.verdict == Verdict::killed; });
  list("HARNESS BUGS (bugs of the harness, not of impl)", [](const Run& r) { return r.verdict == Verdict::harness_bug; });
  list("mutant runs that died or were cut off without a finding line (not counted as kills)",
       [](const Run& r) { return r.mutant != Mutant::none && !r.note.empty(); });

  if (rows.empty()) {  // --clean
    const long flagged = std::count_if(clean.runs.begin(), clean.runs.end(),
                                       [](const Run& r) { return r.verdict != Verdict::survived; });
    std::printf("\nclean implementation: %zu killer(s), %ld flagged it\n", clean.runs.size(), flagged);
    return;
  }
  std::printf("\nsignatures:\n");
  for (const Row& row : rows) {
    std::printf("  %s\n", mutants::name(row.mutant));
    const auto found = row.signatures();
    if (found.empty()) std::printf("    (survived every killer)\n");
    for (const auto& [sig, killers] : found) {
      std::string by;
      for (const std::string& k : killers) by += (by.empty() ? "" : ", ") + k;
      std::printf("    %s  [%s]\n", sig.c_str(), by.c_str());
    }
  }
  std::printf("\ntime to kill (fastest killer) over %d killed mutants: median %s, max %s\n", s.killed,
              s.median ? seconds_text(*s.median).c_str() : "-", s.max ? seconds_text(*s.max).c_str() : "-");
  if (s.false_alarms) std::printf("%d false alarm(s) on the clean implementation\n", s.false_alarms);
  if (s.harness_bugs) std::printf("%d harness bug(s)\n", s.harness_bugs);
  std::printf("%d kill(s) by programs under zstd (marked \"zstd\" in the table)\n", s.kills_under_zstd);
  std::printf("killed %d/%d mutants\n", s.killed, s.total);
}

double rounded(double s) { return std::round(s * 100) / 100; }

bool write_json(const Options& o, const std::vector<Run>& runs, const std::vector<Row>& rows, const Row& clean,
                const Summary& s) {
  // null rather than "" where a survivor has no finding
  const auto text = [](const std::string& t) { return t.empty() ? nlohmann::json() : nlohmann::json(t); };
  nlohmann::json j;
  j["budget_seconds"] = o.seconds;
  j["props_limit_seconds"] = std::max(o.seconds, kPropsLimit);
  for (const Row& row : rows) {
    nlohmann::json& m = j["mutants"][mutants::name(row.mutant)];
    for (const Run& run : row.runs) {
      m["killers"][run.killer->name] = {{"killed", run.verdict == Verdict::killed},
                                        {"harness_bug", run.verdict == Verdict::harness_bug},
                                        {"seconds", rounded(run.seconds)},
                                        {"signature", text(run.signature)},
                                        {"first_line", text(run.first_line)},
                                        {"under_zstd", run.under_zstd}};
    }
    const Run* f = row.fastest();
    m["fastest"] = f ? nlohmann::json{{"killer", f->killer->name}, {"seconds", rounded(f->seconds)}} : nlohmann::json();
    m["signatures"] = nlohmann::json::object();
    for (const auto& [sig, killers] : row.signatures()) m["signatures"][sig] = killers;
  }
  for (const Run& run : clean.runs) {
    j["clean"][run.killer->name] = {{"false_alarm", run.verdict == Verdict::killed},
                                    {"harness_bug", run.verdict == Verdict::harness_bug},
                                    {"seconds", rounded(run.seconds)},
                                    {"first_line", text(run.first_line)},
                                    {"command", reproduce_command(o, run)}};
  }
  j["harness_bugs"] = nlohmann::json::array();
  for (const Run& run : runs)
    if (run.verdict == Verdict::harness_bug)
      j["harness_bugs"].push_back({{"mutant", mutants::name(run.mutant)},
                                   {"killer", run.killer->name},
                                   {"first_line", run.first_line},
                                   {"command", reproduce_command(o, run)}});
  const auto opt = [](std::optional<double> v) { return v ? nlohmann::json(rounded(*v)) : nlohmann::json(); };
  j["summary"] = {{"killed", s.killed},       {"total", s.total},
                  {"median_seconds", opt(s.median)}, {"max_seconds", opt(s.max)},
                  {"false_alarms", s.false_alarms},  {"harness_bugs", s.harness_bugs},
                  {"kills_under_zstd", s.kills_under_zstd}};
  std::ofstream out(o.json);
  // Output lines are not guaranteed UTF-8: replace what is not, rather than throw.
  out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return static_cast<bool>(out);
}

// A bar per mutant: the fastest kill on a log scale from 0.1 s to the budget (or to the
// slowest kill, a property suite's, past it), red to the end for a survivor. Names are C
// identifiers, so the text needs no XML escaping.
bool write_svg(const Options& o, const std::vector<Row>& rows, const Summary& s) {
  constexpr int kWidth = 900, kRow = 22, kTop = 40, kLeft = 230, kBar = 480, kAxis = 30;
  const double lo = 0.1;
  double hi = o.seconds;
  for (const Row& row : rows)
    if (const Run* f = row.fastest()) hi = std::max(hi, f->seconds);
  const auto x = [&](double t) {
    return kLeft + static_cast<int>(std::lround(kBar * std::log(std::clamp(t, lo, hi) / lo) / std::log(hi / lo)));
  };
  const int height = kTop + static_cast<int>(rows.size()) * kRow + kAxis;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"10\" y=\"24\" font-size=\"15\" font-weight=\"bold\">Time to kill per mutant (fastest killer, log scale), budget "
      << o.seconds << " s: killed " << s.killed << "/" << s.total << "</text>\n";
  // Grid: every power of ten inside the scale, the budget, and the scale's end.
  std::vector<double> ticks;
  for (double t = lo; t < hi * 0.999; t *= 10) ticks.push_back(t);
  ticks.push_back(o.seconds);
  if (hi > o.seconds) ticks.push_back(hi);
  const int bottom = kTop + static_cast<int>(rows.size()) * kRow;
  for (double t : ticks) {
    char label[32];
    std::snprintf(label, sizeof label, t < 1 ? "%.1f s" : "%.0f s", t);
    svg << "<line x1=\"" << x(t) << "\" y1=\"" << kTop << "\" x2=\"" << x(t) << "\" y2=\"" << bottom
        << "\" stroke=\"#ccc\"/>\n<text x=\"" << x(t) << "\" y=\"" << bottom + 16 << "\" text-anchor=\"middle\" fill=\"#555\">"
        << label << "</text>\n";
  }
  for (std::size_t i = 0; i < rows.size(); i++) {
    const int y = kTop + static_cast<int>(i) * kRow;
    const Run* f = rows[i].fastest();
    const int end = std::max(x(f ? f->seconds : hi), kLeft + 2);  // a kill under 0.1 s stays visible
    const std::string label = f ? seconds_text(f->seconds) + " " + f->killer->name : "survived";
    svg << "<text x=\"" << kLeft - 8 << "\" y=\"" << y + 15 << "\" text-anchor=\"end\">" << mutants::name(rows[i].mutant)
        << "</text>\n<rect x=\"" << kLeft << "\" y=\"" << y + 4 << "\" width=\"" << end - kLeft << "\" height=\"" << kRow - 8
        << "\" fill=\"" << (f ? "#4a7ab5" : "#d33") << "\"/>\n<text x=\"" << end + 6 << "\" y=\"" << y + 15 << "\">" << label
        << "</text>\n";
  }
  svg << "</svg>\n";
  std::ofstream out(o.svg);
  out << svg.str();
  return static_cast<bool>(out);
}

