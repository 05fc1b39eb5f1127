package io.vigil.profiling;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.core.VigilConfig;
import io.vigil.profiling.ProfilingConfig.SamplingEvent;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProfilingConfigTest {
    private final VigilConfig vigil = VigilConfig.builder()
            .serviceName("identity-service")
            .serviceVersion("2.0.1")
            .environment("production")
            .profilingEnabled(true)
            .build();

    @Test
    void defaultsAreTheSafeContinuousProfilingSettings() {
        ProfilingConfig c = ProfilingConfig.fromEnvironment(vigil, Map.of());

        assertThat(c.enabled()).isTrue();
        assertThat(c.applicationName()).isEqualTo("identity-service");
        assertThat(c.destination()).isEqualTo(new ProfilingConfig.Server(URI.create("http://localhost:4040")));
        assertThat(c.labels())
                .containsExactly(
                        Map.entry("service", "identity-service"),
                        Map.entry("version", "2.0.1"),
                        Map.entry("environment", "production"));
        assertThat(c.event()).isEqualTo(SamplingEvent.ITIMER);
        assertThat(c.interval()).isEqualTo(Duration.ofMillis(10));
        // Allocation and lock profiling are on by default only where the bundled profiler supports the JVM.
        assertThat(c.allocationThresholdBytes()).isEqualTo(ProfilingConfig.NEWER_THAN_PROFILER ? 0 : 512 * 1024);
        assertThat(c.lockThreshold())
                .isEqualTo(ProfilingConfig.NEWER_THAN_PROFILER ? Duration.ZERO : Duration.ofMillis(10));
        assertThat(c.stackWalking()).isEqualTo("vm");
        assertThat(c.uploadInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.queueCapacity()).isEqualTo(8);
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void profilingIsOffUnlessSwitchedOnAndOffWithTheMasterSwitch() {
        assertThat(ProfilingConfig.fromEnvironment(VigilConfig.builder().build(), Map.of())
                        .enabled())
                .isFalse();
        assertThat(ProfilingConfig.fromEnvironment(
                                vigil.toBuilder().enabled(false).build(), Map.of())
                        .enabled())
                .isFalse();
    }

    @Test
    void pyroscopeVariablesAdjustLabelsEventsAndThresholds() {
        ProfilingConfig c = ProfilingConfig.fromEnvironment(
                vigil,
                Map.of(
                        "PYROSCOPE_LABELS", "region=eu-west-1, team=identity",
                        "PYROSCOPE_PROFILER_EVENT", "wall",
                        "PYROSCOPE_PROFILING_INTERVAL", "20ms",
                        "PYROSCOPE_PROFILER_ALLOC", "1m",
                        "PYROSCOPE_PROFILER_LOCK", "0",
                        "PYROSCOPE_UPLOAD_INTERVAL", "15s"));

        assertThat(c.labels()).containsEntry("region", "eu-west-1").containsEntry("team", "identity");
        assertThat(c.event()).isEqualTo(SamplingEvent.WALL);
        assertThat(c.interval()).isEqualTo(Duration.ofMillis(20));
        assertThat(c.allocationThresholdBytes()).isEqualTo(1 << 20);
        assertThat(c.lockThreshold()).isZero();
        assertThat(c.uploadInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void badValuesFallBackToDefaultsWithOneWarningEach() {
        ProfilingConfig c = ProfilingConfig.fromEnvironment(
                vigil,
                Map.of(
                        "PYROSCOPE_LABELS", "ok=1,bad-name=2,service=other,novalue",
                        "PYROSCOPE_PROFILER_EVENT", "gpu",
                        "PYROSCOPE_PROFILING_INTERVAL", "0",
                        "PYROSCOPE_PROFILER_ALLOC", "lots"));

        assertThat(c.labels()).containsEntry("ok", "1").containsEntry("service", "identity-service");
        assertThat(c.event()).isEqualTo(SamplingEvent.ITIMER);
        assertThat(c.interval()).isEqualTo(Duration.ofMillis(10));
        assertThat(c.allocationThresholdBytes()).isEqualTo(ProfilingConfig.NEWER_THAN_PROFILER ? 0 : 512 * 1024);
        assertThat(c.warnings()).hasSize(6);
    }

    @Test
    void aFileAddressIsADirectoryDestination() {
        ProfilingConfig c = ProfilingConfig.fromEnvironment(
                VigilConfig.fromEnvironment(
                        Map.of("PROFILING_ENABLED", "true", "PYROSCOPE_SERVER_ADDRESS", "file:build/profiles")),
                Map.of());

        assertThat(c.destination()).isEqualTo(new ProfilingConfig.Directory(Path.of("build/profiles")));
    }

    @Test
    void credentialsInTheServerAddressStayOutOfTheLog() {
        ProfilingConfig c = ProfilingConfig.builder(vigil.toBuilder()
                        .pyroscopeServerAddress(URI.create("https://123:glc_secret@profiles.grafana.net"))
                        .build())
                .build();

        assertThat(c.summary()).doesNotContain("glc_secret").contains("https://***@profiles.grafana.net");
    }

    /** A builder with a non-default value for every profiling variable type. */
    private ProfilingConfig.Builder customised() {
        return ProfilingConfig.builder(vigil)
                .label("team", "payments") // labels
                .event(SamplingEvent.WALL) // enum
                .interval(Duration.ofMillis(20)) // duration
                .uploadInterval(Duration.ofSeconds(30))
                .lockThreshold(Duration.ofMillis(5)) // duration, zero allowed
                .allocationThresholdBytes(2048); // byte count
    }

    @Test
    void builderValuesAreDefaultsKeptWhenNothingIsSet() {
        ProfilingConfig c = customised().buildFromEnvironment(Map.of("PATH", "/bin"));

        assertThat(c.labels()).containsEntry("team", "payments").containsEntry("service", "identity-service");
        assertThat(c.event()).isEqualTo(SamplingEvent.WALL);
        assertThat(c.interval()).isEqualTo(Duration.ofMillis(20));
        assertThat(c.uploadInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.lockThreshold()).isEqualTo(Duration.ofMillis(5));
        assertThat(c.allocationThresholdBytes()).isEqualTo(2048);
        assertThat(c.warnings()).isEmpty();
        assertThat(c).isEqualTo(customised().build());
    }

    @Test
    void setVariablesOverrideBuilderValuesOfEveryType() {
        ProfilingConfig c = customised()
                .buildFromEnvironment(Map.of(
                        "PYROSCOPE_LABELS", "team=billing,region=eu",
                        "PYROSCOPE_PROFILER_EVENT", "cpu",
                        "PYROSCOPE_PROFILING_INTERVAL", "50ms",
                        "PYROSCOPE_UPLOAD_INTERVAL", "1m",
                        "PYROSCOPE_PROFILER_LOCK", "0",
                        "PYROSCOPE_PROFILER_ALLOC", "1m"));

        assertThat(c.labels())
                .containsEntry("team", "billing")
                .containsEntry("region", "eu")
                .containsEntry("service", "identity-service");
        assertThat(c.event()).isEqualTo(SamplingEvent.CPU);
        assertThat(c.interval()).isEqualTo(Duration.ofMillis(50));
        assertThat(c.uploadInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.lockThreshold()).isZero();
        assertThat(c.allocationThresholdBytes()).isEqualTo(1 << 20);
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void aBadValueKeepsTheBuilderValueAndSaysSo() {
        ProfilingConfig c = customised()
                .buildFromEnvironment(Map.of(
                        "PYROSCOPE_PROFILER_EVENT", "gpu",
                        "PYROSCOPE_PROFILING_INTERVAL", "often",
                        "PYROSCOPE_PROFILER_ALLOC", "lots"));

        assertThat(c.event()).isEqualTo(SamplingEvent.WALL);
        assertThat(c.interval()).isEqualTo(Duration.ofMillis(20));
        assertThat(c.allocationThresholdBytes()).isEqualTo(2048);
        assertThat(c.warnings())
                .containsExactlyInAnyOrder(
                        "PYROSCOPE_PROFILER_EVENT='gpu' is not itimer, cpu or wall; using wall",
                        "PYROSCOPE_PROFILING_INTERVAL='often' is not a duration (10ms, 10s); using 20ms",
                        "PYROSCOPE_PROFILER_ALLOC='lots' is not a byte count (512k, 1m, 0 = off); using 2048");
    }

    @Test
    void aDurationTooLongForItsNumberIsABadValueNotAnOverflow() {
        // 20 digits failed Long.parseLong past the parser; 10^16 us wrapped round to a negative duration.
        ProfilingConfig c = customised()
                .buildFromEnvironment(Map.of(
                        "PYROSCOPE_PROFILING_INTERVAL", "99999999999999999999ms",
                        "PYROSCOPE_UPLOAD_INTERVAL", "10000000000000000us"));

        assertThat(c.interval()).isEqualTo(Duration.ofMillis(20));
        assertThat(c.warnings())
                .contains(
                        "PYROSCOPE_PROFILING_INTERVAL='99999999999999999999ms' is not a duration (10ms, 10s); using 20ms")
                .anyMatch(w -> w.startsWith("PYROSCOPE_UPLOAD_INTERVAL='10000000000000000us' is not a duration"));
    }

    @Test
    void theSwitchAndTheAddressAreVigilsAndFollowTheSameRule() {
        VigilConfig.Builder base = VigilConfig.builder()
                .profilingEnabled(true) // boolean
                .pyroscopeServerAddress(URI.create("http://pyroscope:4040")); // URI
        ProfilingConfig kept = ProfilingConfig.fromEnvironment(base.buildFromEnvironment(Map.of()), Map.of());
        ProfilingConfig overridden = ProfilingConfig.fromEnvironment(
                base.buildFromEnvironment(
                        Map.of("PROFILING_ENABLED", "false", "PYROSCOPE_SERVER_ADDRESS", "file:profiles")),
                Map.of());

        assertThat(kept.enabled()).isTrue();
        assertThat(kept.destination()).isEqualTo(new ProfilingConfig.Server(URI.create("http://pyroscope:4040")));
        assertThat(overridden.enabled()).isFalse();
        assertThat(overridden.destination()).isEqualTo(new ProfilingConfig.Directory(Path.of("profiles")));
    }
}
