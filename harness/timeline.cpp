// Timelines of a concurrent run: text (for failure reports) and HTML (repro --timeline).
#include <algorithm>
#include <set>

#include "mutants.h"
#include "race.h"

namespace {

// The cell text of one event, short enough for a column.
std::string cell(const Program& program, const TraceEvent& e) {
  switch (e.kind) {
    case TraceEvent::Kind::op_begin:
      return e.op_index < 0 ? "final load" : "#" + std::to_string(e.op_index) + " " + format_op(program.ops[e.op_index]);
    case TraceEvent::Kind::op_end:
      return (e.op_index < 0 ? std::string("final") : "#" + std::to_string(e.op_index)) + " returns " +
             std::to_string(e.result);
    case TraceEvent::Kind::point:
      return std::string("* ") + e.name;
    default:
      return std::string(trace_kind_name(e.kind)) + " " + e.name;
  }
}

bool shown(const TraceEvent& e) { return e.kind != TraceEvent::Kind::acquired; }

bool flagged(const RaceResult& r, const TraceEvent& e) {
  return e.op_index >= 0 && e.kind == TraceEvent::Kind::op_end &&
         std::find(r.flagged_ops.begin(), r.flagged_ops.end(), e.op_index) != r.flagged_ops.end();
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

}  // namespace

std::string format_timeline(const Program& program, const RaceResult& result, std::size_t max_rows) {
  constexpr std::size_t kWidth = 34;
  const int columns = program.threads + 1;
  std::vector<const TraceEvent*> rows;
  for (const TraceEvent& e : result.trace)
    if (shown(e)) rows.push_back(&e);
  auto fit = [](std::string s) {
    if (s.size() > kWidth - 1) s = s.substr(0, kWidth - 2) + "~";
    return s + std::string(kWidth - s.size(), ' ');
  };
  std::string out = "  step   ";
  for (int t = 0; t < columns; t++) out += fit(t == 0 ? "prefix/main" : "thread " + std::to_string(t));
  out += "\n";
  const std::size_t head = max_rows / 2, tail = max_rows - head;
  for (std::size_t i = 0; i < rows.size(); i++) {
    if (rows.size() > max_rows && i == head) {
      out += "  ... " + std::to_string(rows.size() - max_rows) + " events elided (repro --timeline shows all) ...\n";
      i = rows.size() - tail;
    }
    const TraceEvent& e = *rows[i];
    std::string step = std::to_string(e.step);
    out += "  " + step + std::string(7 - std::min<std::size_t>(step.size(), 6), ' ');
    for (int t = 0; t < columns; t++) out += fit(t == e.thread ? cell(program, e) : (t == 0 ? "" : "|"));
    if (flagged(result, e)) out += "<== flagged";
    out += "\n";
  }
  return out;
}

std::string format_timeline_html(const Program& program, const RaceResult& result, const std::string& title) {
  const int columns = program.threads + 1;
  std::string h =
      "<!doctype html><html><head><meta charset='utf-8'><title>" + html_escape(title) +
      "</title><style>body{font:13px monospace;margin:1em}table{border-collapse:collapse}"
      "th{position:sticky;top:0;background:#333;color:#fff;padding:4px 8px}"
      "td{padding:1px 8px;border-left:1px solid #ccc;white-space:nowrap}"
      ".begin{background:#d9ecff;font-weight:bold}.end{background:#e6f5e6}.lock{color:#555}"
      ".blocked{background:#ffe0b3}.unlock{color:#888}.point{background:#f3e6ff}.wait{background:#fff3b3}"
      ".flag td{outline:2px solid #d00}pre{background:#f6f6f6;padding:8px}</style></head><body>";
  h += "<h2>" + html_escape(title) + "</h2><pre>" + html_escape(result.divergence ? result.divergence->message : "no failure") +
       "</pre><p>strategy " + html_escape(result.strategy) + ", mutant " + mutants::name(mutants::active) +
       ". One column per thread, one row per scheduling event; red outline: the operations the verdict names.</p>";
  h += "<table><tr><th>step</th>";
  for (int t = 0; t < columns; t++) h += "<th>" + std::string(t == 0 ? "prefix/main" : "thread " + std::to_string(t)) + "</th>";
  h += "</tr>";
  for (const TraceEvent& e : result.trace) {
    if (!shown(e)) continue;
    h += std::string(flagged(result, e) ? "<tr class='flag'>" : "<tr>") + "<td>" + std::to_string(e.step) + "</td>";
    for (int t = 0; t < columns; t++)
      h += t == e.thread ? "<td class='" + std::string(trace_kind_name(e.kind)) + "'>" + html_escape(cell(program, e)) + "</td>"
                         : "<td></td>";
    h += "</tr>";
  }
  return h + "</table></body></html>\n";
}

std::string format_race_report(const Program& program, const RaceResult& result, const std::string& input_path) {
  std::string s;
  if (result.divergence) s += result.divergence->message + "\n";
  s += "program (zswap_race, " + std::to_string(program.ops.size()) + " ops, " + std::to_string(program.threads) +
       " threads, " + format_setup(program) + "mutant " + mutants::name(mutants::active) + ", strategy " + result.strategy + "):\n";
  for (std::size_t i = 0; i < program.ops.size(); i++) {
    const Op& op = program.ops[i];
    s += "  #" + std::to_string(i) + " " + (op.thread ? "T" + std::to_string(op.thread) : std::string("prefix")) + " " +
         format_op(op);
    if (i < result.outcomes.size() && !result.outcomes[i].empty()) s += "  -> " + result.outcomes[i];
    if (std::find(result.flagged_ops.begin(), result.flagged_ops.end(), static_cast<int>(i)) != result.flagged_ops.end())
      s += "   <== flagged";
    s += "\n";
  }
  s += "timeline:\n" + format_timeline(program, result, 80);
  const std::string mutant =
      mutants::active == Mutant::none ? "" : std::string("ZSWAP_MUTANT=") + mutants::name(mutants::active) + " ";
  s += "replay: " + mutant + "build/asan/tools/repro --target zswap_race " +
       (input_path.empty() ? "<input file>" : input_path) +
       (result.strategy == "replay" ? "" : " --strategy " + result.strategy) + " [--timeline out.html]\n";
  return s;
}
