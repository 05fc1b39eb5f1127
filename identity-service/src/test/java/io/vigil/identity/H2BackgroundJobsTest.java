package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.Test;

class H2BackgroundJobsTest extends BackgroundJobsContract {
    @Override
    String databaseUrl() {
        return TestDatabases.h2();
    }

    @Test
    void theDefaultDatabaseStartsTheSchedulerWithoutItsTimestampWarning() {
        try (LogCapture logs = new LogCapture();
                TestService s = new TestService(databaseUrl())) {
            // db-scheduler's autodetection warned twice on every H2 start (scheduler and client) that it assumes
            // TIMESTAMP WITH TIME ZONE columns, which V4__background_jobs.sql declares: noise in the quick start.
            assertThat(s.service.port()).isPositive();
            assertThat(logs.all())
                    .filteredOn(e -> e.getLoggerName().startsWith("com.github.kagkarlsson"))
                    .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .isEmpty();
        }
    }
}
