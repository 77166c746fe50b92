// scale.svg: speedup against slots (with the ideal line) and efficiency
// against slots, one line per series (executor, strong or weak, placement
// or the host axis; weak ones dashed), in two panels with axes, labels and
// a legend; a dashed line at the physical cores whenever they are known (the
// slot axis reaches them even if the study stopped short; unknown: no line,
// and the footer says so), dotted lines where a packed placement fills a
// host. Plain SVG 1.1.
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

const char* ColorOf(size_t series) {
  static const char* const kColors[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a",
                                        "#66a61e", "#e6ab02", "#a6761d", "#666666"};
  return kColors[series % (sizeof(kColors) / sizeof(kColors[0]))];
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
  const bool weak = points.front()->mode == ScaleMode::kWeak;
  std::string path;
  for (const ScalePoint* point : points) {
    absl::StrAppendFormat(&path, "%s%.1f,%.1f ", path.empty() ? "" : "", p.X(point->slots),
                          p.Y(value(*point)));
  }
  absl::StrAppendFormat(&svg, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                              "stroke-width=\"2.5\"%s/>\n",
                        path, color, weak ? " stroke-dasharray=\"8 4\"" : "");
  for (const ScalePoint* point : points) {
    absl::StrAppendFormat(&svg, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n",
                          p.X(point->slots), p.Y(value(*point)), color);
  }
}

// A vertical marker across a panel at slot count x, labelled near the top
// (`row` 0 or 1, so a core line and a host line at the same x both read):
// right of the line in the panel's left half, left of it in the right half,
// so the label stays inside the panel and the picture.
void Marker(std::string& svg, const Panel& p, double x, const char* css, const std::string& text,
            int row) {
  const bool left = p.X(x) > p.x0 + kPanelWidth / 2;
  absl::StrAppendFormat(&svg,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>"
                        "<text x=\"%.1f\" y=\"%.1f\" class=\"mark\"%s>%s</text>\n",
                        p.X(x), kTop, p.X(x), kTop + kPanelHeight, css,
                        left ? p.X(x) - 3 : p.X(x) + 3, kTop + 12 + 13 * row,
                        left ? " text-anchor=\"end\"" : "", text);
}

void Markers(std::string& svg, const Panel& p, const ScaleStudy& study, bool packed) {
  if (study.physical_cores > 0) {
    Marker(svg, p, study.physical_cores, "cores",
           absl::StrCat("physical cores: ", study.physical_cores), 0);
  }
  if (!packed || study.host_boundaries.size() < 2) return;
  for (size_t i = 0; i + 1 < study.host_boundaries.size(); ++i) {
    Marker(svg, p, study.host_boundaries[i], "host", absl::StrCat("host ", i + 1, " full"), 1);
  }
}

}  // namespace

std::string ScaleSvg(const ScaleStudy& study) {
  std::vector<std::pair<std::string, std::vector<const ScalePoint*>>> series;
  std::vector<int> xs;
  double max_speedup = 1;
  bool packed = false;
  for (const ScalePoint& p : study.points) {
    const std::string label = SeriesLabel(p);
    if (series.empty() || series.back().first != label) series.push_back({label, {}});
    series.back().second.push_back(&p);
    if (std::find(xs.begin(), xs.end(), p.slots) == xs.end()) xs.push_back(p.slots);
    max_speedup = std::max(max_speedup, p.speedup);
    packed = packed || p.placement == Placement::kPacked;
  }
  const int max_slots = xs.empty() ? 1 : *std::max_element(xs.begin(), xs.end());
  // The slot axis reaches the physical cores, so their line is always drawn.
  const int axis_end = std::max(max_slots, study.physical_cores);
  const double width = kLeft + 2 * kPanelWidth + kGap + 40;
  const double legend_rows = static_cast<double>((series.size() + 1 + 3) / 4);
  const double height = kTop + kPanelHeight + kBottom + 40 + 22 * legend_rows;
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n<style>\n"
      ".title{font-size:15px;font-weight:bold;text-anchor:middle}"
      ".label{font-size:13px;text-anchor:middle}.xtick{font-size:11px;text-anchor:middle}"
      ".ytick{font-size:11px;text-anchor:end}.legend{font-size:12px}.mark{font-size:10px;fill:#555}"
      ".axis{stroke:#333;stroke-width:1.2}.tick{stroke:#333}.grid{stroke:#ddd}"
      ".ideal{stroke:#888;stroke-width:1.5;stroke-dasharray:6 4}"
      ".cores{stroke:#c00;stroke-width:1.2;stroke-dasharray:4 3}"
      ".host{stroke:#555;stroke-width:1;stroke-dasharray:1 3}\n</style>\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      width, height, width, height);
  const Panel speedup{kLeft, axis_end * 1.05,
                      std::ceil(std::max<double>(max_slots, max_speedup) * 1.1)};
  const Panel efficiency{kLeft + kPanelWidth + kGap, axis_end * 1.05, 1.2};
  Axes(svg, speedup, xs, "Speedup vs slots", "speedup (base wall / wall)", false);
  Axes(svg, efficiency, xs, "Efficiency vs slots", "efficiency (speedup / slots)", true);
  Markers(svg, speedup, study, packed);
  Markers(svg, efficiency, study, packed);
  absl::StrAppendFormat(&svg, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"ideal\"/>\n",
                        speedup.X(1), speedup.Y(1), speedup.X(max_slots), speedup.Y(max_slots));
  absl::StrAppendFormat(&svg, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"ideal\"/>\n",
                        efficiency.X(1), efficiency.Y(1), efficiency.X(max_slots), efficiency.Y(1));
  for (size_t i = 0; i < series.size(); ++i) {
    Series(svg, speedup, series[i].second, [](const ScalePoint& p) { return p.speedup; },
           ColorOf(i));
    Series(svg, efficiency, series[i].second, [](const ScalePoint& p) { return p.efficiency; },
           ColorOf(i));
  }
  // Legend, under the plots, four entries a row.
  const double top = kTop + kPanelHeight + kBottom + 25;
  const auto at = [&](size_t entry) {
    return std::pair<double, double>{kLeft + 190.0 * static_cast<double>(entry % 4),
                                     top + 22.0 * static_cast<double>(entry / 4)};
  };
  auto [x, y] = at(0);
  absl::StrAppendFormat(&svg, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"ideal\"/>"
                              "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">ideal</text>\n",
                        x, y - 4, x + 30, y - 4, x + 36, y);
  for (size_t i = 0; i < series.size(); ++i) {
    std::tie(x, y) = at(i + 1);
    const bool weak = series[i].second.front()->mode == ScaleMode::kWeak;
    absl::StrAppendFormat(&svg, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                                "stroke-width=\"2.5\"%s/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
                                "fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" class=\"legend\">%s</text>\n",
                          x, y - 4, x + 30, y - 4, ColorOf(i),
                          weak ? " stroke-dasharray=\"8 4\"" : "", x + 15, y - 4, ColorOf(i),
                          x + 36, y, series[i].first);
  }
  absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">n=%d, %d chunks, "
                              "%d worker(s) on %d host(s), %d slots%s</text>\n",
                        kLeft, top + 22.0 * legend_rows, study.n, study.chunks, study.workers,
                        study.hosts, study.total_slots,
                        study.physical_cores > 0
                            ? absl::StrCat(", ", study.physical_cores, " physical cores")
                            : std::string(", physical cores unknown"));
  svg += "</svg>\n";
  return svg;
}

}  // namespace tminus
