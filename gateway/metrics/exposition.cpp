#include "gateway/metrics/exposition.hpp"

#include <cmath>
#include <cstdio>

namespace gateway::metrics {
namespace {

std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    if (ch == '\\') {
      out += "\\\\";
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '"' && quotes) {
      out += "\\\"";
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  return escape(value, true);
}

std::string escape_help(std::string_view help) {
  return escape(help, false);
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  // Below 2^53 a double holds every integer exactly: counters print as written, without exponent.
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", value);
  }
  return buf;
}

std::string render(const std::vector<Family>& families) {
  std::string out;
  for (const auto& family : families) {
    out += "# HELP " + family.name + " " + escape_help(family.help) + "\n";
    out += "# TYPE " + family.name + (family.type == MetricType::counter ? " counter\n" : " gauge\n");
    for (const auto& sample : family.samples) {
      out += family.name;
      if (!sample.labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < sample.labels.size(); ++i) {
          if (i > 0) out += ',';
          out += sample.labels[i].name + "=\"" + escape_label_value(sample.labels[i].value) + "\"";
        }
        out += '}';
      }
      out += ' ' + format_value(sample.value) + '\n';
    }
  }
  return out;
}

}  // namespace gateway::metrics
