package io.vigil.dashboards.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.dashboards.Dashboard;
import io.vigil.dashboards.DataSource;
import io.vigil.dashboards.Panel;
import io.vigil.dashboards.Query;
import io.vigil.dashboards.Variable;
import java.util.Map;
import java.util.TreeMap;

/** Renders a {@link Dashboard} as Grafana dashboard JSON (schema version 39). */
public final class GrafanaJson {
    /** Grafana 10.4 / 11 dashboard schema. */
    public static final int SCHEMA_VERSION = 39;

    private static final ObjectMapper JSON = new ObjectMapper();

    private GrafanaJson() {}

    /** The dashboard as pretty-printed JSON, ending with a newline. */
    public static String render(Dashboard d) {
        ObjectNode root = JSON.createObjectNode();
        root.put("uid", d.uid());
        root.put("title", d.title());
        root.put("description", d.description());
        ArrayNode tags = root.putArray("tags");
        d.tags().forEach(tags::add);
        root.put("timezone", "browser");
        root.put("editable", true);
        root.put("graphTooltip", 1);
        root.put("schemaVersion", SCHEMA_VERSION);
        root.put("version", 1);
        root.put("refresh", "30s");
        root.putObject("time").put("from", "now-1h").put("to", "now");
        root.put("fiscalYearStartMonth", 0);
        root.put("liveNow", false);
        ObjectNode link = root.putArray("links").addObject();
        link.put("title", "Vigil dashboards");
        link.put("type", "dashboards");
        // all of the dashboard's tags ("vigil" and the service): Grafana lists dashboards having every
        // one, so the menu shows this service's dashboards, not every service's
        ArrayNode linkTags = link.putArray("tags");
        d.tags().forEach(linkTags::add);
        link.put("asDropdown", true);
        link.put("includeVars", true);
        link.put("keepTime", true);
        ObjectNode builtIn = root.putObject("annotations").putArray("list").addObject();
        builtIn.put("builtIn", 1);
        builtIn.putObject("datasource").put("type", "grafana").put("uid", "-- Grafana --");
        builtIn.put("enable", true);
        builtIn.put("hide", true);
        builtIn.put("iconColor", "rgba(0, 211, 255, 1)");
        builtIn.put("name", "Annotations & Alerts");
        builtIn.put("type", "dashboard");
        ArrayNode vars = root.putObject("templating").putArray("list");
        d.variables().forEach(v -> vars.add(variable(v)));
        ArrayNode panels = root.putArray("panels");
        for (Dashboard.Placed p : d.panels()) {
            panels.add(p.isRow() ? row(p) : panel(p));
        }
        try {
            DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                    .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                    .withArrayIndenter(new DefaultIndenter("  ", "\n"));
            return JSON.writer(printer).writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode variable(Variable v) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", v.name());
        n.put("label", v.label());
        n.put("type", v.type());
        n.put("hide", 0);
        ObjectNode current = n.putObject("current");
        current.put("text", v.includeAll() ? "All" : v.value());
        current.put("value", v.value());
        switch (v.type()) {
            case "query" -> {
                n.set("datasource", dataSource(v.dataSource()));
                n.put("definition", v.query());
                ObjectNode q = n.putObject("query");
                q.put("query", v.query());
                q.put("refId", "PrometheusVariableQueryEditor-VariableQuery");
                n.put("refresh", 2);
                n.put("sort", 1);
                n.put("includeAll", v.includeAll());
                if (v.includeAll()) {
                    n.put("allValue", ".*");
                }
                n.put("multi", false);
                n.putArray("options");
            }
            case "custom" -> {
                n.put("query", v.query());
                n.put("includeAll", false);
                n.put("multi", false);
                ArrayNode options = n.putArray("options");
                boolean first = true;
                for (String value : v.query().split(",")) {
                    ObjectNode o = options.addObject();
                    o.put("text", value.trim());
                    o.put("value", value.trim());
                    o.put("selected", first);
                    first = false;
                }
            }
            case "textbox" -> n.put("query", v.query());
            default -> throw new IllegalArgumentException("unknown variable type " + v.type());
        }
        return n;
    }

    private static ObjectNode row(Dashboard.Placed p) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", p.id());
        n.put("type", "row");
        n.put("title", p.rowTitle());
        n.put("collapsed", false);
        gridPos(n, p);
        n.putArray("panels");
        return n;
    }

    private static ObjectNode panel(Dashboard.Placed placed) {
        Panel p = placed.panel();
        ObjectNode n = JSON.createObjectNode();
        n.put("id", placed.id());
        n.put("type", p.type());
        n.put("title", p.title());
        if (!p.description().isEmpty()) {
            n.put("description", p.description());
        }
        gridPos(n, placed);
        n.set("datasource", dataSource(p.queries().getFirst().dataSource()));
        ArrayNode targets = n.putArray("targets");
        char refId = 'A';
        for (Query q : p.queries()) {
            targets.add(target(q, String.valueOf(refId++)));
        }
        ObjectNode fieldConfig = n.putObject("fieldConfig");
        ObjectNode defaults = fieldConfig.putObject("defaults");
        if (!p.unit().isEmpty()) {
            defaults.put("unit", p.unit());
        }
        fieldConfig.putArray("overrides");
        ObjectNode options = n.putObject("options");
        switch (p.type()) {
            case "timeseries" -> {
                ObjectNode custom = defaults.putObject("custom");
                custom.put("drawStyle", "line");
                custom.put("lineWidth", 1);
                custom.put("fillOpacity", 10);
                custom.put("showPoints", "never");
                custom.putObject("stacking")
                        .put("mode", String.valueOf(p.options().getOrDefault("stacking", "none")));
                ObjectNode legend = options.putObject("legend");
                legend.put("displayMode", "table");
                legend.put("placement", "bottom");
                legend.put("showLegend", true);
                legend.putArray("calcs").add("mean").add("max");
                options.putObject("tooltip").put("mode", "multi").put("sort", "desc");
            }
            case "stat", "gauge", "bargauge" -> {
                reduce(options);
                if (p.type().equals("stat")) {
                    options.put("colorMode", "value");
                    options.put("graphMode", "area");
                    options.put("textMode", "auto");
                }
            }
            case "piechart" -> {
                reduce(options);
                options.put("pieType", "donut");
                ObjectNode legend = options.putObject("legend");
                legend.put("displayMode", "table");
                legend.put("placement", "right");
                legend.put("showLegend", true);
                legend.putArray("values").add("value").add("percent");
            }
            case "logs" -> {
                options.put("showTime", true);
                options.put("wrapLogMessage", true);
                options.put("prettifyLogMessage", false);
                options.put("enableLogDetails", true);
                options.put("dedupStrategy", "none");
                options.put("sortOrder", "Descending");
            }
            case "table" -> {
                options.put("showHeader", true);
                options.putObject("footer").put("show", false);
            }
            default -> {}
        }
        Map<String, Object> extra = new TreeMap<>(p.options());
        extra.remove("stacking");
        extra.forEach((k, v) -> options.set(k, JSON.valueToTree(v)));
        return n;
    }

    private static void reduce(ObjectNode options) {
        ObjectNode reduce = options.putObject("reduceOptions");
        reduce.putArray("calcs").add("lastNotNull");
        reduce.put("fields", "");
        reduce.put("values", false);
    }

    private static ObjectNode target(Query q, String refId) {
        ObjectNode t = JSON.createObjectNode();
        t.put("refId", refId);
        t.set("datasource", dataSource(q.dataSource()));
        switch (q.language()) {
            case PROMQL, LOGQL -> t.put("expr", q.text());
            case TRACEQL -> t.put("query", q.text());
            case PROFILE -> t.put("labelSelector", q.text());
            case SERVICE_MAP -> {}
        }
        new TreeMap<>(q.fields()).forEach((k, v) -> t.set(k, JSON.valueToTree(v)));
        return t;
    }

    private static ObjectNode dataSource(DataSource ds) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", ds.type());
        n.put("uid", ds.uid());
        return n;
    }

    private static void gridPos(ObjectNode n, Dashboard.Placed p) {
        ObjectNode g = n.putObject("gridPos");
        g.put("h", p.h());
        g.put("w", p.w());
        g.put("x", p.x());
        g.put("y", p.y());
    }
}
