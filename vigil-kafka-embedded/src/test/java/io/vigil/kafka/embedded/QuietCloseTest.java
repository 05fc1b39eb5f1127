package io.vigil.kafka.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On JDK 24+ closing a broker made the JVM print {@code sun.misc.Unsafe}'s four-line terminal-deprecation warning:
 * Kafka unmaps each memory-mapped index when it closes it, through {@code
 * org.apache.kafka.common.utils.ByteBufferUnmapper}, which calls {@code sun.misc.Unsafe::invokeCleaner}, a
 * memory-access method (JEP 471/498). No jar-manifest attribute allows it; the JDK's one switch is the command-line
 * option {@code --sun-misc-unsafe-memory-access=allow}, which KRaftBroker's users pass (this build's surefire argLine
 * does). Each case runs a JVM of its own that starts a broker, creates a topic and closes it, as a user's process
 * would, and reads its stderr. On JDK 21-23 (which the build allows) nothing warns and the option is not passed (21 and
 * 22 refuse it): the same cases then check that closing is quiet without it, instead of skipping.
 */
class QuietCloseTest {
    private static final String UNSAFE_WARNING = "sun.misc.Unsafe";
    /** What the JDK prints for a restricted method called without native access (JEP 472): an unrelated warning. */
    private static final String NATIVE_ACCESS_WARNING =
            "WARNING: A restricted method in java.lang.System has been called";

    /** The warning, and the root pom's jdk24-plus profile that passes the option, exist from JDK 24. */
    private static final boolean WARNING_EXISTS = Runtime.version().feature() >= 24;

    @BeforeEach
    void ciBuildsWithAJdkThatWarns() {
        // CI builds with the JDK 25 the project is built with, so there the JDK 24+ cases must run: an older JDK fails.
        if ("true".equals(System.getenv("CI"))) {
            assertThat(Runtime.version().feature())
                    .as("CI builds with JDK 24 or later, where the warning exists")
                    .isGreaterThanOrEqualTo(24);
        }
    }

    @Test
    void withTheDocumentedFlagClosingIsQuietAndUnrelatedWarningsStillShow(@TempDir Path dir) throws Exception {
        String stderr = closeABrokerInAJvmOfItsOwn(
                dir, WARNING_EXISTS ? List.of(KRaftBroker.QUIET_CLOSE_JVM_OPTION) : List.of());

        assertThat(stderr).as(stderr).contains("closed").doesNotContain(UNSAFE_WARNING);
        if (WARNING_EXISTS) {
            // The option allows sun.misc.Unsafe's memory access only: the JDK's other warnings are still printed.
            assertThat(stderr).as(stderr).contains(NATIVE_ACCESS_WARNING);
        }
    }

    @Test
    void withoutItKafkasIndexUnmapperWarns(@TempDir Path dir) throws Exception {
        // Where the warning comes from; should Kafka stop calling sun.misc.Unsafe, this fails and the flag can go.
        String stderr = closeABrokerInAJvmOfItsOwn(dir, List.of());

        if (!WARNING_EXISTS) {
            assertThat(stderr).as(stderr).contains("closed").doesNotContain(UNSAFE_WARNING);
            return;
        }
        assertThat(stderr)
                .as(stderr)
                .contains("closed")
                .contains("WARNING: A terminally deprecated method in sun.misc.Unsafe has been called")
                .contains("sun.misc.Unsafe::invokeCleaner has been called by"
                        + " org.apache.kafka.common.utils.ByteBufferUnmapper");
    }

    @Test
    void thisBuildsTestJvmsRunWithTheFlagWhereItExists() {
        // vigil-kafka's and identity-service's tests close brokers in surefire's JVM: the root pom's jdk24-plus
        // argLine, which a JDK that refuses the option (21, 22) must not get.
        List<String> arguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
        if (WARNING_EXISTS) {
            assertThat(arguments).contains(KRaftBroker.QUIET_CLOSE_JVM_OPTION);
        } else {
            assertThat(arguments).doesNotContain(KRaftBroker.QUIET_CLOSE_JVM_OPTION);
        }
    }

    /** Runs {@link StartAndClose} with {@code options}; its stderr. */
    private static String closeABrokerInAJvmOfItsOwn(Path dir, List<String> options) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), StartAndClose.class.getName()));
        Path stderr = dir.resolve("stderr.txt");
        Process child = new ProcessBuilder(command)
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .redirectError(stderr.toFile())
                .start();
        if (!child.waitFor(120, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionError("the broker did not start and close within 120 s: " + Files.readString(stderr));
        }
        assertThat(child.exitValue()).as(Files.readString(stderr)).isZero();
        return Files.readString(stderr);
    }

    /** A user's process: starts a broker, gives it a topic (mapped indexes), closes it, then calls a restricted method. */
    public static final class StartAndClose {
        public static void main(String[] args) {
            try (KRaftBroker broker = KRaftBroker.start()) {
                broker.createTopics("quiet-close");
            }
            System.err.println("closed");
            try {
                System.loadLibrary("vigil-no-such-library");
            } catch (UnsatisfiedLinkError expected) {
                // the warning is printed before the library is looked for
            }
        }
    }
}
