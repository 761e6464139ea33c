#include "plot.hpp"

#include <cairo-svg.h>
#include <cairo.h>
#include <fmt/format.h>
#include <fontconfig/fontconfig.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <numbers>

namespace foldback::cli {

namespace {

constexpr double kWidth = 1000, kHeight = 760;

struct Rgb {
    double r, g, b;
};
constexpr Rgb kMeasured{0.12, 0.40, 0.75}, kReported{0.80, 0.15, 0.15}, kCurve{0.25, 0.25, 0.25},
    kGrid{0.88, 0.88, 0.88}, kText{0.1, 0.1, 0.1};

void color(cairo_t* cr, Rgb c) {
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

// ax, ay: 0 left/top, 0.5 centre, 1 right/bottom.
void text(cairo_t* cr, double x, double y, const std::string& s, double ax = 0, double ay = 0.5,
          double size = 13, bool bold = false) {
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s.c_str(), &e);
    cairo_move_to(cr, x - e.x_bearing - ax * e.width, y - e.y_bearing - ay * e.height);
    cairo_show_text(cr, s.c_str());
}

void textVertical(cairo_t* cr, double x, double y, const std::string& s, double size = 13) {
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -std::numbers::pi / 2);
    text(cr, 0, 0, s, 0.5, 0.5, size);
    cairo_restore(cr);
}

double niceStep(double span, int target) {
    const double raw = span / std::max(target, 1);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw) return m * mag;
    return 10 * mag;
}

std::string tickLabel(double v, double step) {
    const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
    if (std::fabs(v) < step * 1e-6) v = 0;
    return fmt::format("{:.{}f}", v, decimals);
}

struct Panel {
    double x, y, w, h;      // pixels
    double x0, x1, y0, y1;  // data
    double px(double v) const { return x + (v - x0) / (x1 - x0) * w; }
    double py(double v) const { return y + h - (v - y0) / (y1 - y0) * h; }
};

void axes(cairo_t* cr, const Panel& p, const std::string& xLabel, const std::string& yLabel,
          int xTicks, int yTicks, bool integerX = false) {
    cairo_set_line_width(cr, 1);
    const double xs =
        integerX ? std::max(1.0, niceStep(p.x1 - p.x0, xTicks)) : niceStep(p.x1 - p.x0, xTicks);
    const double ys = niceStep(p.y1 - p.y0, yTicks);
    for (double v = std::ceil(p.x0 / xs) * xs; v <= p.x1 + 1e-9; v += xs) {
        color(cr, kGrid);
        cairo_move_to(cr, p.px(v), p.y);
        cairo_line_to(cr, p.px(v), p.y + p.h);
        cairo_stroke(cr);
        color(cr, kText);
        text(cr, p.px(v), p.y + p.h + 6, tickLabel(v, xs), 0.5, 0, 12);
    }
    for (double v = std::ceil(p.y0 / ys) * ys; v <= p.y1 + 1e-9; v += ys) {
        color(cr, kGrid);
        cairo_move_to(cr, p.x, p.py(v));
        cairo_line_to(cr, p.x + p.w, p.py(v));
        cairo_stroke(cr);
        color(cr, kText);
        text(cr, p.x - 6, p.py(v), tickLabel(v, ys), 1, 0.5, 12);
    }
    color(cr, kText);
    cairo_rectangle(cr, p.x, p.y, p.w, p.h);
    cairo_stroke(cr);
    text(cr, p.x + p.w / 2, p.y + p.h + 26, xLabel, 0.5, 0, 13);
    textVertical(cr, p.x - 58, p.y + p.h / 2, yLabel, 13);
}

void vline(cairo_t* cr, const Panel& p, double v, Rgb c, bool dashed, double width) {
    if (v < p.x0 || v > p.x1) return;
    color(cr, c);
    cairo_set_line_width(cr, width);
    const double dash[] = {7, 5};
    cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
    cairo_move_to(cr, p.px(v), p.y);
    cairo_line_to(cr, p.px(v), p.y + p.h);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
}

void hline(cairo_t* cr, const Panel& p, double v, Rgb c, bool dashed, double width) {
    color(cr, c);
    cairo_set_line_width(cr, width);
    const double dash[] = {7, 5};
    cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
    cairo_move_to(cr, p.x, p.py(v));
    cairo_line_to(cr, p.x + p.w, p.py(v));
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
}

void legendItem(cairo_t* cr, double x, double y, Rgb c, bool dashed, const std::string& label) {
    color(cr, c);
    cairo_set_line_width(cr, 2);
    const double dash[] = {7, 5};
    cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x + 28, y);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    color(cr, kText);
    text(cr, x + 36, y, label, 0, 0.5, 12);
}

// A white box with a thin frame, so a legend stays readable over the lines.
void legendBox(cairo_t* cr, double x, double y, double w, double h) {
    cairo_rectangle(cr, x, y, w, h);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.92);
    cairo_fill_preserve(cr);
    color(cr, kGrid);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
}

// Band-limited value of the impulse response between samples (windowed sinc).
double interpolate(const std::vector<double>& h, double t) {
    const auto n = static_cast<long>(h.size());
    const long base = static_cast<long>(std::floor(t));
    double v = 0;
    for (long k = base - 15; k <= base + 16; ++k) {
        const double d = t - static_cast<double>(k);
        const double s =
            std::fabs(d) < 1e-12 ? 1.0 : std::sin(std::numbers::pi * d) / (std::numbers::pi * d);
        const double w = 0.5 + 0.5 * std::cos(std::numbers::pi * d / 17.0);
        v += h[static_cast<std::size_t>(((k % n) + n) % n)] * s * w;
    }
    return v;
}

void draw(cairo_t* cr, const LatencyPlot& pl) {
    color(cr, {1, 1, 1});
    cairo_paint(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    const double m = pl.measured, r = static_cast<double>(pl.reported);
    const double diff = m - r;
    const double msPerFrame = 1000.0 / pl.rate;

    color(cr, kText);
    text(cr, 40, 24, pl.title, 0, 0.5, 18, true);
    text(cr, 40, 50,
         fmt::format("measured {:.3f} frames ({:.3f} ms)   reported {} frames ({})   difference "
                     "{:+.3f} frames ({:+.3f} ms)",
                     m, m * msPerFrame, pl.reported, pl.reportedDetail, diff, diff * msPerFrame),
         0, 0.5, 13);

    // ---- impulse response ----------------------------------------------------------------
    const bool together = std::fabs(diff) <= 400;
    double lo = together ? std::min(m, r) - 24 : m - 24;
    double hi = together ? std::max(m, r) + 24 : m + 24;
    Panel a{100, 100, 860, 340, lo, hi, -1.15, 1.15};
    text(cr, a.x, a.y - 14, "Impulse response of the loop (output -> input), normalized", 0, 0.5,
         13, true);
    axes(cr, a,
         fmt::format("round-trip delay [frames at {:g} Hz; 1 frame = {:.2f} us]", pl.rate,
                     1e6 / pl.rate),
         "amplitude (normalized)", 12, 8);
    if (!pl.impulse.empty()) {
        cairo_save(cr);
        cairo_rectangle(cr, a.x, a.y, a.w, a.h);
        cairo_clip(cr);
        color(cr, kCurve);
        cairo_set_line_width(cr, 1.5);
        const int steps = 900;
        for (int i = 0; i <= steps; ++i) {
            const double t = lo + (hi - lo) * i / steps;
            const double v = interpolate(pl.impulse, t);
            if (i == 0)
                cairo_move_to(cr, a.px(t), a.py(v));
            else
                cairo_line_to(cr, a.px(t), a.py(v));
        }
        cairo_stroke(cr);
        if (hi - lo <= 240) {
            const auto n = static_cast<long>(pl.impulse.size());
            for (long k = static_cast<long>(std::ceil(lo)); k <= static_cast<long>(std::floor(hi));
                 ++k) {
                const double v = pl.impulse[static_cast<std::size_t>(((k % n) + n) % n)];
                cairo_arc(cr, a.px(static_cast<double>(k)), a.py(v), 2.5, 0, 2 * std::numbers::pi);
                cairo_fill(cr);
            }
        }
        cairo_restore(cr);
    }
    // Reported (dashed) over measured (solid): both stay visible when they coincide.
    vline(cr, a, m, kMeasured, false, 2.5);
    vline(cr, a, r, kReported, true, 2);
    // Labels next to the lines (right of the line unless that runs off the panel).
    auto label = [&](double v, double y, Rgb c, const std::string& s) {
        color(cr, c);
        const bool left = a.px(v) > a.x + a.w - 190;
        text(cr, a.px(v) + (left ? -6 : 6), y, s, left ? 1 : 0, 0.5, 12, true);
    };
    label(m, a.y + 16, kMeasured, fmt::format("measured {:.3f}", m));
    if (together)
        label(r, a.y + 34, kReported, fmt::format("reported {}", pl.reported));
    else {
        color(cr, kReported);
        const bool right = r > m;
        text(cr, right ? a.x + a.w - 6 : a.x + 6, a.y + 34,
             right ? fmt::format("reported {} ->", pl.reported)
                   : fmt::format("<- reported {}", pl.reported),
             right ? 1 : 0, 0.5, 12, true);
    }
    legendBox(cr, a.x + 6, a.y + a.h - 66, 250, 60);
    legendItem(cr, a.x + 12, a.y + a.h - 54, kCurve, false, "impulse response");
    legendItem(cr, a.x + 12, a.y + a.h - 36, kMeasured, false, "measured round trip");
    legendItem(cr, a.x + 12, a.y + a.h - 18, kReported, true, "reported (getLatencies in + out)");

    // ---- spread over the repeats ------------------------------------------------------------
    const auto& rep = pl.repeats;
    double ymin = r, ymax = r;
    for (double v : rep) {
        ymin = std::min(ymin, v);
        ymax = std::max(ymax, v);
    }
    ymin = std::min(ymin, m);
    ymax = std::max(ymax, m);
    const double pad = std::max(0.25, 0.12 * (ymax - ymin));
    const double count = static_cast<double>(std::max<std::size_t>(rep.size(), 1));
    Panel b{100, 545, 860, 150, 0.5, count + 0.5, ymin - pad, ymax + pad};
    double lowest = rep.empty() ? m : *std::min_element(rep.begin(), rep.end());
    double highest = rep.empty() ? m : *std::max_element(rep.begin(), rep.end());
    color(cr, kText);
    text(
        cr, b.x, b.y - 14,
        fmt::format("Round trip per repeat ({} repeats): {:.3f} .. {:.3f} frames, spread {:.3f} "
                    "frames ({:.4f} ms)",
                    rep.size(), lowest, highest, highest - lowest, (highest - lowest) * msPerFrame),
        0, 0.5, 13, true);
    axes(cr, b, "repeat", "round trip [frames]", std::min<int>(static_cast<int>(count), 12), 5,
         true);
    hline(cr, b, m, kMeasured, false, 2);
    hline(cr, b, r, kReported, true, 2);
    color(cr, kMeasured);
    for (std::size_t i = 0; i < rep.size(); ++i) {
        cairo_arc(cr, b.px(static_cast<double>(i + 1)), b.py(rep[i]), 4.5, 0, 2 * std::numbers::pi);
        cairo_fill(cr);
    }
    legendBox(cr, b.x + b.w - 256, b.y + 6, 250, 40);
    legendItem(cr, b.x + b.w - 250, b.y + 16, kMeasured, false, "mean measured");
    legendItem(cr, b.x + b.w - 250, b.y + 34, kReported, true, "reported");
}

}  // namespace

std::string drawLatencyPlot(const LatencyPlot& plot, const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    cairo_surface_t* surface = nullptr;
    if (ext == ".svg")
        surface = cairo_svg_surface_create(path.c_str(), kWidth, kHeight);
    else if (ext == ".png")
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, static_cast<int>(kWidth),
                                             static_cast<int>(kHeight));
    else
        return fmt::format("{}: name the plot .svg or .png", path);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        std::string why = cairo_status_to_string(cairo_surface_status(surface));
        cairo_surface_destroy(surface);
        return fmt::format("{}: {}", path, why);
    }
    cairo_t* cr = cairo_create(surface);
    draw(cr, plot);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS && ext == ".png")
        st = cairo_surface_write_to_png(surface, path.c_str());
    cairo_surface_finish(surface);
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    // One plot per process: give back cairo's and fontconfig's caches (leak checkers
    // would report them otherwise).
    cairo_debug_reset_static_data();
    FcFini();
    return st == CAIRO_STATUS_SUCCESS ? ""
                                      : fmt::format("{}: {}", path, cairo_status_to_string(st));
}

}  // namespace foldback::cli
