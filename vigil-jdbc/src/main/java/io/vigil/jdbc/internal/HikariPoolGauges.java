package io.vigil.jdbc.internal;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongGauge;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToLongFunction;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The contract's {@code db_connections_active|idle|pending|max{pool}} gauges of a HikariCP pool,
 * read on each collection from the pool's MXBean getters: counters over the pool's bag that never
 * take a lock or a connection, so a scrape cannot wait behind an exhausted pool. Loaded only when
 * HikariCP is on the class path.
 */
public final class HikariPoolGauges {
    private static final Logger log = LoggerFactory.getLogger(HikariPoolGauges.class);
    private static final AttributeKey<String> POOL = AttributeKey.stringKey("pool");

    private HikariPoolGauges() {}

    /** The Hikari pool behind {@code dataSource}, or null when it is something else. */
    public static HikariDataSource hikari(DataSource dataSource) {
        if (dataSource instanceof HikariDataSource h) {
            return h;
        }
        try {
            return dataSource.isWrapperFor(HikariDataSource.class) ? dataSource.unwrap(HikariDataSource.class) : null;
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Registers the four gauges for {@code pool} labelled {@code pool=poolName} (Hikari's pool name
     * when null). Before the pool has started and after it has closed they report nothing.
     */
    public static List<ObservableLongGauge> register(Meter meter, HikariDataSource pool, String poolName) {
        PoolLabel attributes = new PoolLabel(pool, poolName);
        AtomicBoolean failing = new AtomicBoolean();
        return List.of(
                gauge(
                        meter,
                        "db_connections_active",
                        "Pool connections in use",
                        pool,
                        attributes,
                        failing,
                        b -> b.getActiveConnections()),
                gauge(
                        meter,
                        "db_connections_idle",
                        "Idle pool connections",
                        pool,
                        attributes,
                        failing,
                        b -> b.getIdleConnections()),
                gauge(
                        meter,
                        "db_connections_pending",
                        "Threads waiting for a connection",
                        pool,
                        attributes,
                        failing,
                        b -> b.getThreadsAwaitingConnection()),
                gauge(
                        meter,
                        "db_connections_max",
                        "Pool size limit",
                        pool,
                        attributes,
                        failing,
                        b -> pool.getMaximumPoolSize()));
    }

    private static ObservableLongGauge gauge(
            Meter meter,
            String name,
            String description,
            HikariDataSource pool,
            PoolLabel label,
            AtomicBoolean failing,
            ToLongFunction<HikariPoolMXBean> read) {
        return meter.gaugeBuilder(name)
                .setDescription(description)
                .ofLongs()
                .buildWithCallback((ObservableLongMeasurement m) -> {
                    try {
                        HikariPoolMXBean bean = pool.isClosed() ? null : pool.getHikariPoolMXBean();
                        if (bean != null) {
                            m.record(read.applyAsLong(bean), label.attributes());
                        }
                        failing.set(false);
                    } catch (RuntimeException e) {
                        // A scrape must not fail for a pool in trouble: skip the sample, say so once.
                        if (failing.compareAndSet(false, true)) {
                            log.warn("Reading the connection pool's state failed: {}", e.toString());
                        }
                    }
                });
    }

    /**
     * The {@code pool} label, read when the pool is first seen running. A pool built without a name and started
     * lazily — Spring Boot's {@code DataSource}, {@code new HikariDataSource()} with setters — has none until its first
     * connection (Hikari then names it {@code HikariPool-N}): read at wrap time, every gauge was {@code pool="null"}.
     */
    private static final class PoolLabel {
        private final HikariDataSource pool;
        private volatile Attributes attributes;

        PoolLabel(HikariDataSource pool, String configured) {
            this.pool = pool;
            this.attributes = configured != null ? Attributes.of(POOL, configured) : null;
        }

        /** Called once the pool runs (its MXBean exists), so Hikari has named it by then. */
        Attributes attributes() {
            Attributes a = attributes;
            if (a == null) {
                String name = pool.getPoolName();
                a = Attributes.of(POOL, name != null ? name : "default");
                if (name != null) {
                    attributes = a;
                }
            }
            return a;
        }
    }
}
