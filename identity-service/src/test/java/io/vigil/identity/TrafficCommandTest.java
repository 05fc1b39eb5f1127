package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.identity.internal.traffic.TrafficGenerator;
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
    void badArgumentsAreAUsageError() {
        assertThat(TrafficGenerator.run(new String[] {"--duration", "3"})).isEqualTo(2);
        assertThat(TrafficGenerator.run(new String[] {"--url", "http://127.0.0.1:1", "--duration", "x"}))
                .isEqualTo(2);
    }
}
