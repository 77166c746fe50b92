// scale.svg: speedup against slots (with the ideal line) and efficiency
// against slots, one series per executor, in two panels with axes, labels
// and a legend. Plain SVG 1.1: opens in any browser.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/output.h"
#include "cli/scale.h"

namespace tminus {
namespace {

constexpr double kPanelWidth = 420;
constexpr double kPanelHeight = 300;
constexpr double kLeft = 60;    // room for the y labels
constexpr double kTop = 50;     // room for the title
constexpr double kBottom = 50;  // room for the x labels
constexpr double kGap = 90;

const char* ColorOf(v1::Executor executor) {
  return executor == v1::EXECUTOR_PROCESSES ? "#d95f02" : "#1b9e77";
}

// Maps data to pixels inside one panel.
struct Panel {
  double x0;  // left edge of the plot area
  double max_x;
  double max_y;
  double X(double x) const { return x0 + x / max_x * kPanelWidth; }
  double Y(double y) const { return kTop + kPanelHeight - y / max_y * kPanelHeight; }
};

double NiceStep(double range) {
  const double raw = range / 6;
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * magnitude >= raw) return m * magnitude;
  }
  return 10 * magnitude;
}

void Axes(std::string& svg, const Panel& p, const std::vector<int>& xs, const std::string& title,
          const std::string& y_label, bool percent) {
  const double bottom = kTop + kPanelHeight;
  absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" class=\"title\">%s</text>\n",
                        p.x0 + kPanelWidth / 2, kTop - 18, title);
  const double step = NiceStep(p.max_y);
  for (double y = 0; y <= p.max_y + 1e-9; y += step) {
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" class=\"ytick\">%s</text>\n",
                          p.x0, p.Y(y), p.x0 + kPanelWidth, p.Y(y), p.x0 - 6, p.Y(y) + 4,
                          percent ? absl::StrFormat("%.0f%%", y * 100) : absl::StrFormat("%g", y));
  }
  for (int x : xs) {
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"tick\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" class=\"xtick\">%d</text>\n",
                          p.X(x), bottom, p.X(x), bottom + 5, p.X(x), bottom + 20, x);
  }
  absl::StrAppendFormat(&svg,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n"
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n",
                        p.x0, kTop, p.x0, bottom, p.x0, bottom, p.x0 + kPanelWidth, bottom);
  absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" class=\"label\">slots</text>\n",
                        p.x0 + kPanelWidth / 2, bottom + 40);
  absl::StrAppendFormat(&svg,
                        "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" class=\"label\">%s"
                        "</text>\n",
                        p.x0 - 42, kTop + kPanelHeight / 2, y_label);
}

void Series(std::string& svg, const Panel& p, const std::vector<const ScalePoint*>& points,
            double (*value)(const ScalePoint&), const char* color) {
  std::string path;
  for (const ScalePoint* point : points) {
    absl::StrAppendFormat(&path, "%s%.1f,%.1f ", path.empty() ? "" : "", p.X(point->slots),
                          p.Y(value(*point)));
  }
  absl::StrAppendFormat(&svg, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                              "stroke-width=\"2.5\"/>\n", path, color);
  for (const ScalePoint* point : points) {
    absl::StrAppendFormat(&svg, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n",
                          p.X(point->slots), p.Y(value(*point)), color);
  }
}

}  // namespace

std::string ScaleSvg(const ScaleStudy& study) {
  std::map<v1::Executor, std::vector<const ScalePoint*>> by_executor;
  std::vector<int> xs;
  double max_speedup = 1;
  for (const ScalePoint& p : study.points) {
    by_executor[p.executor].push_back(&p);
    if (std::find(xs.begin(), xs.end(), p.slots) == xs.end()) xs.push_back(p.slots);
    max_speedup = std::max(max_speedup, p.speedup);
  }
  const int max_slots = xs.empty() ? 1 : *std::max_element(xs.begin(), xs.end());
  const double width = kLeft + 2 * kPanelWidth + kGap + 40;
  const double height = kTop + kPanelHeight + kBottom + 60;
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n<style>\n"
      ".title{font-size:15px;font-weight:bold;text-anchor:middle}"
      ".label{font-size:13px;text-anchor:middle}.xtick{font-size:11px;text-anchor:middle}"
      ".ytick{font-size:11px;text-anchor:end}.legend{font-size:12px}"
      ".axis{stroke:#333;stroke-width:1.2}.tick{stroke:#333}.grid{stroke:#ddd}"
      ".ideal{stroke:#888;stroke-width:1.5;stroke-dasharray:6 4}\n</style>\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      width, height, width, height);
  const Panel speedup{kLeft, max_slots * 1.05, std::ceil(std::max<double>(max_slots, max_speedup) * 1.1)};
  const Panel efficiency{kLeft + kPanelWidth + kGap, max_slots * 1.05, 1.2};
  Axes(svg, speedup, xs, "Speedup vs slots", "speedup (1-slot wall / wall)", false);
  Axes(svg, efficiency, xs, "Efficiency vs slots", "efficiency (speedup / slots)", true);
  absl::StrAppendFormat(&svg, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"ideal\"/>\n",
                        speedup.X(1), speedup.Y(1), speedup.X(max_slots), speedup.Y(max_slots));
  absl::StrAppendFormat(&svg, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"ideal\"/>\n",
                        efficiency.X(1), efficiency.Y(1), efficiency.X(max_slots), efficiency.Y(1));
  for (const auto& [executor, points] : by_executor) {
    Series(svg, speedup, points, [](const ScalePoint& p) { return p.speedup; }, ColorOf(executor));
    Series(svg, efficiency, points, [](const ScalePoint& p) { return p.efficiency; },
           ColorOf(executor));
  }
  // Legend, under the plots.
  double x = kLeft;
  const double y = kTop + kPanelHeight + kBottom + 25;
  absl::StrAppendFormat(&svg, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"ideal\"/>"
                              "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">ideal</text>\n",
                        x, y - 4, x + 30, y - 4, x + 36, y);
  x += 100;
  for (const auto& [executor, points] : by_executor) {
    absl::StrAppendFormat(&svg, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                                "stroke-width=\"2.5\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
                                "fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" class=\"legend\">%s</text>\n",
                          x, y - 4, x + 30, y - 4, ColorOf(executor), x + 15, y - 4,
                          ColorOf(executor), x + 36, y, ExecutorLabel(executor));
    x += 130;
  }
  absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">n=%d, %d chunks, "
                              "%d worker(s), %d slots</text>\n",
                        x + 20, y, study.n, study.chunks, study.workers, study.total_slots);
  svg += "</svg>\n";
  return svg;
}

absl::Status WriteScaleFiles(const ScaleStudy& study, const std::string& dir) {
  mkdir(dir.c_str(), 0755);
  for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
           {"scale.csv", ScaleCsv(study)},
           {"scale.json", ScaleJson(study)},
           {"scale.svg", ScaleSvg(study)}}) {
    std::ofstream out(dir + "/" + name);
    out << content;
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", dir, "/", name));
  }
  return absl::OkStatus();
}

}  // namespace tminus
