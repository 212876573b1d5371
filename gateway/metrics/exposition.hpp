#pragma once
// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): metric families in, text out.
// Pure: no I/O, no clock, so the exact output is unit tested.
#include <string>
#include <string_view>
#include <vector>

namespace gateway::metrics {

enum class MetricType { counter, gauge };

struct Label {
  std::string name;
  std::string value;
};

struct Sample {
  std::vector<Label> labels;  // written in this order
  double value = 0;
};

// One metric name: its # HELP and # TYPE lines once, then every sample.
struct Family {
  std::string name;
  std::string help;
  MetricType type = MetricType::gauge;
  std::vector<Sample> samples;
};

// Label values escape backslash, double quote and newline; HELP text escapes backslash and newline.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
// Integral values (every counter) are written as integers, others with enough digits to round-trip.
std::string format_value(double value);
std::string render(const std::vector<Family>& families);

}  // namespace gateway::metrics
