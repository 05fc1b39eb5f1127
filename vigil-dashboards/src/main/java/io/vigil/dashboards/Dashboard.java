package io.vigil.dashboards;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A Grafana dashboard with its panels placed on the 24-column grid. Built by {@link Builder},
 * which lays panels out left to right in the order they are added, wrapping and starting a new
 * line at each row header.
 *
 * @param uid fixed, so links and provisioning survive regeneration
 */
public record Dashboard(
        String uid,
        String title,
        String description,
        List<String> tags,
        List<Variable> variables,
        List<Placed> panels) {
    /** Grafana's grid width. */
    public static final int COLUMNS = 24;

    /** Requires uid, title and description and copies the lists, so a dashboard is immutable. */
    public Dashboard {
        Objects.requireNonNull(uid, "uid");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(description, "description");
        tags = List.copyOf(tags);
        variables = List.copyOf(variables);
        panels = List.copyOf(panels);
    }

    /** A panel at its grid position; {@code panel} is {@code null} for a row header. */
    public record Placed(int id, String rowTitle, Panel panel, int x, int y, int w, int h) {
        /** Whether this is a row header. */
        public boolean isRow() {
            return panel == null;
        }

        /** The title shown. */
        public String title() {
            return isRow() ? rowTitle : panel.title();
        }
    }

    /** Every query of the dashboard's panels. */
    public List<Query> queries() {
        List<Query> all = new ArrayList<>();
        for (Placed p : panels) {
            if (!p.isRow()) {
                all.addAll(p.panel().queries());
            }
        }
        return all;
    }

    /** Starts a dashboard. */
    public static Builder builder(String uid, String title) {
        return new Builder(uid, title);
    }

    /** Builds a {@link Dashboard}, placing panels as they are added. */
    public static final class Builder {
        private final String uid;
        private final String title;
        private String description = "";
        private final List<String> tags = new ArrayList<>(List.of("vigil"));
        private final List<Variable> variables = new ArrayList<>();
        private final List<Placed> placed = new ArrayList<>();
        private int nextId = 1;
        private int x;
        private int y;
        private int lineHeight;

        private Builder(String uid, String title) {
            this.uid = Objects.requireNonNull(uid);
            this.title = Objects.requireNonNull(title);
        }

        /** The dashboard's description, shown in Grafana's dashboard list (default empty). */
        public Builder description(String text) {
            this.description = text;
            return this;
        }

        /** Adds a tag besides {@code vigil}, which every dashboard carries. */
        public Builder tag(String tag) {
            tags.add(tag);
            return this;
        }

        /** Adds a template variable; variables appear in the order they are added. */
        public Builder variable(Variable v) {
            variables.add(v);
            return this;
        }

        /** A full-width row header; the next panel starts below it. */
        public Builder row(String rowTitle) {
            newLine();
            placed.add(new Placed(nextId++, rowTitle, null, 0, y, COLUMNS, 1));
            y += 1;
            return this;
        }

        /** Places panels left to right, wrapping when a line is full. */
        public Builder add(Panel... panels) {
            for (Panel p : panels) {
                if (x + p.width() > COLUMNS) {
                    newLine();
                }
                placed.add(new Placed(nextId++, null, p, x, y, p.width(), p.height()));
                x += p.width();
                lineHeight = Math.max(lineHeight, p.height());
            }
            return this;
        }

        private void newLine() {
            y += lineHeight;
            x = 0;
            lineHeight = 0;
        }

        /** The immutable dashboard with its panels placed so far; the builder is not thread-safe. */
        public Dashboard build() {
            return new Dashboard(uid, title, description, tags, variables, placed);
        }
    }
}
