package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IdentityConfigTest {
    @Test
    void defaultsNeedNothingInstalled() {
        IdentityConfig c = IdentityConfig.fromEnvironment(Map.of());
        assertThat(c.port()).isEqualTo(8000);
        assertThat(c.databaseUrl()).startsWith("jdbc:h2:file:./data/");
        assertThat(c.embeddedDatabase()).isTrue();
        assertThat(c.managementPort()).isEqualTo(9464);
        assertThat(c.metricsOnServicePort()).isFalse();
        assertThat(c.metricsToken()).isEmpty();
        assertThat(c.passwordHashConcurrency()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(c.passwordHashMaxWait()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.passwordChangeRateLimit()).isEqualTo(new IdentityConfig.RateLimit(5, Duration.ofMinutes(1)));
    }

    /**
     * The start-up summary goes through the log's scrubber: limits and Argon2 parameters are not secrets and stay
     * readable (they were {@code password_change_rate_limit=[REDACTED]}), while secrets stay out or redacted.
     */
    @Test
    void theSummaryShowsLimitsAndArgon2ParametersThroughTheScrubberButNoSecret() {
        IdentityConfig c = IdentityConfig.fromEnvironment(Map.of(
                "DATABASE_URL", "postgres://app:hunter2hunter2@db.example/identity",
                "METRICS_TOKEN", "0123456789abcdef",
                "ADMIN_EMAIL", "admin@example.com",
                "ADMIN_PASSWORD", "correct horse battery 42",
                "PASSWORD_CHANGE_RATE_LIMIT", "3/hour",
                "PASSWORD_CHANGE_ADDRESS_RATE_LIMIT", "30/hour",
                "PASSWORD_HASH_CONCURRENCY", "3",
                "PASSWORD_HASH_MAX_WAIT", "250ms"));
        String logged = io.vigil.core.Scrubber.defaults().scrubText(c.summary());
        assertThat(logged)
                .isEqualTo(c.summary())
                .doesNotContain(io.vigil.core.Scrubber.REDACTED)
                .contains("password_change_rate_limits[per_user=" + c.passwordChangeRateLimit() + ", per_address="
                        + c.passwordChangeAddressRateLimit() + "]")
                .contains("password_hashing[concurrency=3, max_wait=250ms]")
                .contains("metrics_token_status=configured")
                .contains("signing_key_status=development (stored in database)")
                .doesNotContain("hunter2hunter2", "0123456789abcdef", "correct horse");
        // The global rules are as strict as before: a key naming a password still has its value redacted.
        assertThat(io.vigil.core.Scrubber.defaults().scrubText("password_change_rate_limit=5/60s db_password=x1"))
                .isEqualTo("password_change_rate_limit=[REDACTED] db_password=[REDACTED]");
    }

    @Test
    void hardeningVariablesAreRead() {
        IdentityConfig c = IdentityConfig.fromEnvironment(Map.of(
                "MANAGEMENT_PORT", "9999",
                "METRICS_TOKEN", "0123456789abcdef",
                "PASSWORD_CHANGE_RATE_LIMIT", "3/hour",
                "PASSWORD_CHANGE_ADDRESS_RATE_LIMIT", "30/hour",
                "PASSWORD_HASH_CONCURRENCY", "3",
                "PASSWORD_HASH_MAX_WAIT", "250ms"));
        assertThat(c.managementPort()).isEqualTo(9999);
        assertThat(c.metricsToken()).contains("0123456789abcdef");
        assertThat(c.passwordChangeRateLimit()).isEqualTo(new IdentityConfig.RateLimit(3, Duration.ofHours(1)));
        assertThat(c.passwordChangeAddressRateLimit()).isEqualTo(new IdentityConfig.RateLimit(30, Duration.ofHours(1)));
        assertThat(c.passwordHashConcurrency()).isEqualTo(3);
        assertThat(c.passwordHashMaxWait()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.summary()).doesNotContain("0123456789abcdef");
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("PASSWORD_HASH_CONCURRENCY", "0")))
                .hasMessageContaining("PASSWORD_HASH_CONCURRENCY");
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("MANAGEMENT_PORT", "70000")))
                .hasMessageContaining("MANAGEMENT_PORT");
    }

    /**
     * A database URL no driver here takes is a configuration error naming DATABASE_URL (exit 2, one line), not a
     * pool failure with a stack trace at exit 1; its credentials are not repeated.
     */
    @Test
    void aDatabaseUrlNoDriverTakesIsAConfigurationError() {
        for (String url : new String[] {"postgres://app:s3cret@db-host", "jdbc:mysql://db-host/app", "db-host:5432"}) {
            assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("DATABASE_URL", url)))
                    .as(url)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("DATABASE_URL")
                    .hasMessageNotContaining("s3cret");
        }
        assertThat(IdentityConfig.fromEnvironment(Map.of("DATABASE_URL", "postgres://app:s3cret@db-host:5432/app"))
                        .databaseUrl())
                .isEqualTo("jdbc:postgresql://db-host:5432/app");
    }

    @Test
    void environmentVariablesAreRead() {
        IdentityConfig c = IdentityConfig.fromEnvironment(Map.of(
                "PORT", "9000",
                "LOCKOUT_THRESHOLD", "7",
                "LOCKOUT_DURATION", "30m",
                "LOGIN_RATE_LIMIT", "5/second",
                "ACCESS_TOKEN_TTL", "PT5M",
                "ADMIN_EMAIL", "root@example.com",
                "ADMIN_PASSWORD", "some long secret"));
        assertThat(c.port()).isEqualTo(9000);
        assertThat(c.lockoutThreshold()).isEqualTo(7);
        assertThat(c.lockoutDuration()).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.loginRateLimit()).isEqualTo(new IdentityConfig.RateLimit(5, Duration.ofSeconds(1)));
        assertThat(c.accessTokenTtl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.adminEmail()).contains("root@example.com");
    }

    @Test
    void shutdownAndRetrySettingsAreDurationsWithTheContractDefaults() {
        IdentityConfig defaults = IdentityConfig.fromEnvironment(Map.of());
        assertThat(defaults.shutdownTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(defaults.refreshReuseGrace()).isEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.databaseConnectionTimeout()).isEqualTo(Duration.ofSeconds(5));
        IdentityConfig c = IdentityConfig.fromEnvironment(Map.of(
                "SHUTDOWN_TIMEOUT", "45s",
                "REFRESH_REUSE_GRACE", "0",
                "DATABASE_CONNECTION_TIMEOUT", "750ms"));
        assertThat(c.shutdownTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.refreshReuseGrace()).isZero();
        assertThat(c.databaseConnectionTimeout()).isEqualTo(Duration.ofMillis(750));
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("SHUTDOWN_TIMEOUT", "soon")))
                .hasMessageContaining("SHUTDOWN_TIMEOUT");
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("REFRESH_REUSE_GRACE", "1h")))
                .hasMessageContaining("REFRESH_REUSE_GRACE");
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("DATABASE_CONNECTION_TIMEOUT", "10ms")))
                .hasMessageContaining("DATABASE_CONNECTION_TIMEOUT");
    }

    @Test
    void aDurationPastACenturyIsAConfigurationErrorNamingItsVariableNotAnOverflow() {
        // 9999999999999999d overflowed Duration (ArithmeticException: "cannot start: long overflow", exit 1); a
        // TTL of 10^17 s started, then overflowed Instant at the first login.
        for (String value : new String[] {"9999999999999999d", "99999999999999999", "PT2000000H"}) {
            assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("SHUTDOWN_TIMEOUT", value)))
                    .as(value)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("SHUTDOWN_TIMEOUT")
                    .hasMessageContaining("too long");
            assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("ACCESS_TOKEN_TTL", value)))
                    .as(value)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("ACCESS_TOKEN_TTL");
        }
        assertThat(IdentityConfig.fromEnvironment(Map.of("REFRESH_TOKEN_TTL", "3650d"))
                        .refreshTokenTtl())
                .isEqualTo(Duration.ofDays(3650));
    }

    @Test
    void postgresUrlsWithCredentialsBecomeJdbcUrlsAndStayOutOfTheSummary() {
        IdentityConfig c = IdentityConfig.fromEnvironment(
                Map.of("DATABASE_URL", "postgres://app:s3cret@db.internal:5432/identity"));
        assertThat(c.databaseUrl()).isEqualTo("jdbc:postgresql://db.internal:5432/identity");
        assertThat(c.databaseUser()).contains("app");
        assertThat(c.databasePassword()).contains("s3cret");
        assertThat(c.summary()).doesNotContain("s3cret");
    }

    @Test
    void trustedProxiesAreAddressesOrRangesCheckedAtStartUp() {
        assertThat(IdentityConfig.fromEnvironment(Map.of()).trustedProxies()).isEmpty();
        assertThat(IdentityConfig.fromEnvironment(Map.of("TRUSTED_PROXIES", " 10.0.0.0/8, 192.168.1.7 ,,fd00::/8"))
                        .trustedProxies())
                .containsExactly("10.0.0.0/8", "192.168.1.7", "fd00::/8");
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("TRUSTED_PROXIES", "10.0.0.0/8,lb.internal")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("TRUSTED_PROXIES must be IP addresses or CIDR ranges")
                .hasMessageContaining("lb.internal");
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("TRUSTED_PROXIES", "10.0.0.0/33")))
                .hasMessageContaining("TRUSTED_PROXIES");
    }

    @Test
    void badSecuritySettingsStopStartUpNamingTheVariable() {
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("LOCKOUT_THRESHOLD", "0")))
                .hasMessageContaining("LOCKOUT_THRESHOLD");
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("LOCKOUT_DURATION", "soon")))
                .hasMessageContaining("LOCKOUT_DURATION");
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("LOGIN_RATE_LIMIT", "many")))
                .hasMessageContaining("LOGIN_RATE_LIMIT");
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("ADMIN_EMAIL", "a@example.com")))
                .hasMessageContaining("ADMIN_PASSWORD");
    }

    @Test
    void theNotificationWebhookIsAnAbsoluteHttpUrlCheckedAtStartUp() {
        for (String bad : new String[] {"hooks.example.com/x", "ftp://hooks.example.com/x", "http://", "http:// x"}) {
            assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("NOTIFY_WEBHOOK_URL", bad)))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("NOTIFY_WEBHOOK_URL");
        }
        IdentityConfig c = IdentityConfig.fromEnvironment(Map.of(
                "NOTIFY_WEBHOOK_URL", "https://user:secret@hooks.example.com/identity",
                "NOTIFY_RETRY_DELAY", "5s",
                "NOTIFY_MAX_RETRIES", "3",
                "JOB_POLL_INTERVAL", "2s"));
        assertThat(c.notifyWebhookUrl())
                .contains(java.net.URI.create("https://user:secret@hooks.example.com/identity"));
        assertThat(c.notifyRetryDelay()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(c.notifyMaxRetries()).isEqualTo(3);
        assertThat(c.jobPollInterval()).isEqualTo(java.time.Duration.ofSeconds(2));
        assertThat(c.summary()).contains("notify=webhook").doesNotContain("secret");
        assertThat(IdentityConfig.fromEnvironment(Map.of()).notifyWebhookUrl()).isEmpty();
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("NOTIFY_MAX_RETRIES", "-1")))
                .hasMessageContaining("NOTIFY_MAX_RETRIES");
    }
}
