package io.vigil.dashboards.internal;

import io.vigil.dashboards.Dashboard;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws every dashboard's layout as one SVG: panels at their grid positions, coloured by
 * visualization, with their titles — the picture in the README's "What you get".
 */
public final class LayoutSvg {
    private static final int COL = 20;
    private static final int ROW = 14;
    private static final int GAP = 40;
    private static final int HEADER = 36;
    private static final int PER_LINE = 4;
    private static final Map<String, String> COLOURS = Map.of(
            "timeseries", "#3274d9",
            "stat", "#37872d",
            "gauge", "#37872d",
            "piechart", "#8f3bb8",
            "bargauge", "#8f3bb8",
            "table", "#6e6e6e",
            "logs", "#e0752d",
            "nodeGraph", "#1f9e9e",
            "flamegraph", "#c4162a");

    private LayoutSvg() {}

    /** The SVG document. */
    public static String render(List<Dashboard> dashboards) {
        int boardWidth = Dashboard.COLUMNS * COL;
        int lines = (dashboards.size() + PER_LINE - 1) / PER_LINE;
        int[] lineHeights = new int[lines];
        for (int i = 0; i < dashboards.size(); i++) {
            lineHeights[i / PER_LINE] = Math.max(lineHeights[i / PER_LINE], height(dashboards.get(i)) * ROW + HEADER);
        }
        int width = PER_LINE * (boardWidth + GAP) + GAP;
        int total = GAP + 30;
        for (int h : lineHeights) {
            total += h + GAP;
        }
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\""
                        + " font-family=\"Helvetica, Arial, sans-serif\">%n",
                width,
                total,
                width,
                total));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#111217\"/>%n", width, total));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" fill=\"#ccccdc\" font-size=\"20\">Vigil dashboards (generated from the"
                        + " instrument catalogue; colour = visualization)</text>%n",
                GAP,
                GAP));
        int y = GAP + 30;
        for (int line = 0; line < lines; line++) {
            for (int i = line * PER_LINE; i < Math.min(dashboards.size(), (line + 1) * PER_LINE); i++) {
                int x = GAP + (i % PER_LINE) * (boardWidth + GAP);
                board(svg, dashboards.get(i), x, y, boardWidth);
            }
            y += lineHeights[line] + GAP;
        }
        svg.append(legend());
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static int height(Dashboard d) {
        int h = 0;
        for (Dashboard.Placed p : d.panels()) {
            h = Math.max(h, p.y() + p.h());
        }
        return h;
    }

    private static void board(StringBuilder svg, Dashboard d, int x0, int y0, int width) {
        svg.append(String.format(
                Locale.ROOT,
                "<g><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#181b1f\" stroke=\"#2c3235\"/>%n",
                x0,
                y0,
                width,
                height(d) * ROW + HEADER));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" fill=\"#ffffff\" font-size=\"15\" font-weight=\"bold\">%s</text>%n",
                x0 + 6,
                y0 + 16,
                escape(d.title())));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" fill=\"#8e8e8e\" font-size=\"10\">/d/%s</text>%n",
                x0 + 6,
                y0 + 29,
                escape(d.uid())));
        int top = y0 + HEADER;
        for (Dashboard.Placed p : d.panels()) {
            int px = x0 + p.x() * COL;
            int py = top + p.y() * ROW;
            int pw = p.w() * COL;
            int ph = p.h() * ROW;
            if (p.isRow()) {
                svg.append(String.format(
                        Locale.ROOT,
                        "<text x=\"%d\" y=\"%d\" fill=\"#ccccdc\" font-size=\"11\" font-weight=\"bold\">%s</text>%n",
                        px + 3,
                        py + 11,
                        escape(fit(p.rowTitle(), pw))));
                continue;
            }
            String colour = COLOURS.getOrDefault(p.panel().type(), "#6e6e6e");
            svg.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"2\" fill=\"%s\" fill-opacity=\"0.35\""
                            + " stroke=\"%s\"/>%n",
                    px + 1,
                    py + 1,
                    pw - 2,
                    ph - 2,
                    colour,
                    colour));
            svg.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%d\" y=\"%d\" fill=\"#ffffff\" font-size=\"10\">%s</text>%n",
                    px + 4,
                    py + 12,
                    escape(fit(p.panel().title(), pw - 6))));
        }
        svg.append("</g>\n");
    }

    private static String legend() {
        StringBuilder sb = new StringBuilder();
        int x = GAP + 760;
        for (String type :
                List.of("timeseries", "stat", "gauge", "piechart", "table", "logs", "nodeGraph", "flamegraph")) {
            sb.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\" fill=\"#ccccdc\" font-size=\"12\">%s</text>%n",
                    x,
                    GAP - 11,
                    COLOURS.get(type),
                    x + 16,
                    GAP,
                    type));
            x += 100;
        }
        return sb.toString();
    }

    /** Cuts a title to what fits in {@code pixels} at about 5.5 px per character. */
    private static String fit(String s, int pixels) {
        int max = Math.max(3, (int) (pixels / 5.5));
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
