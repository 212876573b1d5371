#include "gateway/metrics/exposition.hpp"

#include <gtest/gtest.h>

namespace {

using namespace gateway::metrics;

TEST(Exposition, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("L 8080:db:5432"), "L 8080:db:5432");
  // HELP text escapes backslash and newline, not quotes (exposition format 0.0.4).
  EXPECT_EQ(escape_help("say \"hi\"\\\nbye"), "say \"hi\"\\\\\\nbye");
}

TEST(Exposition, FormatsValues) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(1048576), "1048576");
  EXPECT_EQ(format_value(18446744073709551615.0), "1.8446744073709552e+19");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_value(0.0 / 0.0), "NaN");
}

// HELP and TYPE once per family, before its samples; labels in the order given.
TEST(Exposition, RendersFamilies) {
  std::vector<Family> families = {
      {"x_bytes_total",
       "Bytes\nsent",
       MetricType::counter,
       {{{{"kind", "local"}, {"forward", "L 80:\"h\":80"}}, 3}, {{{"kind", "dynamic"}, {"forward", "D 1080"}}, 0}}},
      {"x_up", "Up", MetricType::gauge, {{{}, 1}}},
      {"x_empty", "Nothing yet", MetricType::gauge, {}},
  };
  EXPECT_EQ(render(families),
            "# HELP x_bytes_total Bytes\\nsent\n"
            "# TYPE x_bytes_total counter\n"
            "x_bytes_total{kind=\"local\",forward=\"L 80:\\\"h\\\":80\"} 3\n"
            "x_bytes_total{kind=\"dynamic\",forward=\"D 1080\"} 0\n"
            "# HELP x_up Up\n"
            "# TYPE x_up gauge\n"
            "x_up 1\n"
            "# HELP x_empty Nothing yet\n"
            "# TYPE x_empty gauge\n");
}

}  // namespace
