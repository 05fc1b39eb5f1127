package io.vigil.http.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ServiceArgumentsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int check(String... args) {
        return ServiceArguments.check(
                "svc",
                "usage: svc",
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void noArgumentsStartTheService() {
        assertThat(check()).isEqualTo(ServiceArguments.START);
        assertThat(out.size() + err.size()).isZero();
    }

    @Test
    void helpIsTheUsageOnStdoutAndExitZero() {
        assertThat(check("--help")).isZero();
        assertThat(check("-h")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("usage: svc\nusage: svc\n");
        assertThat(err.size()).isZero();
    }

    @Test
    void anyOtherArgumentIsOneLineNamingItThenTheUsageAndExitTwo() {
        assertThat(check("--port", "9000")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("svc: unexpected argument --port (it is configured by environment variables; see --help)\n"
                        + "usage: svc\n");
        assertThat(out.size()).isZero();
        assertThat(check("--help", "extra")).isEqualTo(2);
    }
}
