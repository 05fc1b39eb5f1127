package io.vigil.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vigil.jdbc.internal.InstrumentedDataSource;
import io.vigil.test.VigilExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A tracer that fails never fails the statement, and its failures are logged once per outage: one warning when spans
 * start failing, one line when they are made again, and a new warning for the next outage (as the metrics side does).
 */
class SpanFailureRecoveryTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private final Logger logger = (Logger) LoggerFactory.getLogger(InstrumentedDataSource.class);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        logger.detachAppender(logs);
    }

    @Test
    void eachOutageIsLoggedOnceAndTheRecoveryToo() throws SQLException {
        AtomicBoolean broken = new AtomicBoolean();
        InMemorySpanExporter exported = InMemorySpanExporter.create();
        SpanProcessor failing = new SpanProcessor() {
            @Override
            public void onStart(Context parentContext, ReadWriteSpan span) {
                if (broken.get()) {
                    throw new IllegalStateException("span processor broken");
                }
            }

            @Override
            public boolean isStartRequired() {
                return true;
            }

            @Override
            public void onEnd(ReadableSpan span) {}

            @Override
            public boolean isEndRequired() {
                return false;
            }
        };
        try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(failing)
                        .addSpanProcessor(SimpleSpanProcessor.create(exported))
                        .build())
                .build()) {
            DataSource db = VigilJdbc.builder(sdk, telemetry.runtime().operations())
                    .build()
                    .wrap(h2());
            try (Connection c = db.getConnection();
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t (id INT)");
                for (int outage = 0; outage < 2; outage++) {
                    broken.set(true);
                    for (int i = 0; i < 3; i++) {
                        assertThat(s.executeUpdate("INSERT INTO t VALUES (1)")).isEqualTo(1);
                    }
                    broken.set(false);
                    for (int i = 0; i < 2; i++) {
                        assertThat(s.executeUpdate("INSERT INTO t VALUES (2)")).isEqualTo(1);
                    }
                }
            }
            // The create and the four inserts after each outage made their spans; the six during the outages none.
            assertThat(exported.getFinishedSpanItems()).hasSize(5);
        }
        List<String> lines = logs.list.stream()
                .map(e -> e.getLevel() + " " + e.getFormattedMessage())
                .toList();
        assertThat(lines)
                .containsExactly(
                        "WARN Making a database statement span failed; queries are unaffected:"
                                + " java.lang.IllegalStateException: span processor broken",
                        "INFO Database statement spans are made again",
                        "WARN Making a database statement span failed; queries are unaffected:"
                                + " java.lang.IllegalStateException: span processor broken",
                        "INFO Database statement spans are made again");
        assertThat(logs.list).allSatisfy(e -> assertThat(e.getLevel()).isIn(Level.WARN, Level.INFO));
    }

    private static DataSource h2() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:r" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1");
        return h2;
    }
}
