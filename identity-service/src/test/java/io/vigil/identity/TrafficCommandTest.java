package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.identity.internal.traffic.TrafficGenerator;
import io.vigil.test.MetricSamples;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code traffic} subcommand against a real service. */
class TrafficCommandTest {
    @Test
    void aShortRunDrivesEveryFlowWithoutServerErrors() {
        try (TestService s = new TestService(TestDatabases.h2())) {
            int rc = TrafficGenerator.run(new String[] {
                "--url",
                "http://127.0.0.1:" + s.service.port(),
                "--duration",
                "3",
                "--concurrency",
                "2",
                "--admin-email",
                TestService.ADMIN_EMAIL,
                "--admin-password",
                TestService.ADMIN_PASSWORD
            });
            assertThat(rc).isZero();
        }
    }

    @Test
    void theMixOpensSecurityFeedsAndProvokesEachWebSocketRefusal() {
        try (TestService s = new TestService(TestDatabases.h2())) {
            int rc = TrafficGenerator.run(new String[] {
                "--url",
                "http://127.0.0.1:" + s.service.port(),
                "--duration",
                "3",
                "--concurrency",
                "1",
                "--admin-email",
                TestService.ADMIN_EMAIL,
                "--admin-password",
                TestService.ADMIN_PASSWORD
            });
            assertThat(rc).isZero();
            MetricSamples m =
                    MetricSamples.parse(s.management.get("/metrics", null).text());
            String feed = "/api/v1/ws/security-events";
            for (String status : List.of("accepted", "rejected_auth", "rejected_limit")) {
                assertThat(m.require("ws_connections_total", Map.of("endpoint", feed, "status", status)))
                        .as(status)
                        .isPositive();
            }
            for (String type : List.of("websocket_connection", "websocket_message")) {
                assertThat(m.require("rate_limit_hits_total", Map.of("limit_type", type, "endpoint", feed)))
                        .as(type)
                        .isPositive();
            }
            assertThat(m.require("ws_messages_received_total", Map.of("endpoint", feed, "handler", "ping")))
                    .isPositive();
            assertThat(m.require("ws_messages_sent_total", Map.of("endpoint", feed, "handler", "pong")))
                    .isPositive();
            assertThat(m.require("http_requests_total", Map.of("endpoint", feed, "status_code", "403")))
                    .isPositive();
        }
    }

    @Test
    void badArgumentsAreAUsageError() {
        assertThat(TrafficGenerator.run(new String[] {"--duration", "3"})).isEqualTo(2);
        assertThat(TrafficGenerator.run(new String[] {"--url", "http://127.0.0.1:1", "--duration", "x"}))
                .isEqualTo(2);
    }
}
