package io.vigil.logback.internal;

import io.vigil.core.internal.ConfigParsers;
import io.vigil.core.internal.ConfigVariable;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * vigil-logback's own environment variables, each declared once (name, type, default, validation)
 * and read through vigil-core's {@link io.vigil.core.internal.ConfigSource}. The contract's logging
 * variables ({@code LOG_LEVEL}, {@code LOG_FORMAT}, {@code LOKI_*}) are vigil-core's, in {@code
 * VigilConfig}.
 */
public final class LoggingVariables {
    private LoggingVariables() {}

    /** Default spool bound: 64 MiB. */
    public static final long DEFAULT_SPOOL_MAX_BYTES = 64L << 20;

    /** Loki spool directory; {@code null}: {@code <java.io.tmpdir>/vigil-loki-spool/<service>}. */
    public static final ConfigVariable<Path> SPOOL_DIR = ConfigVariable.of(
                    "VIGIL_LOG_SPOOL_DIR",
                    (raw, entry) -> {
                        try {
                            return Path.of(raw);
                        } catch (InvalidPathException e) {
                            throw new ConfigVariable.Invalid("is not a directory path");
                        }
                    },
                    (Path) null)
            .shownAs(p -> p == null ? "a directory under java.io.tmpdir" : p.toString());

    /** Loki spool bound in bytes ({@code 67108864}, {@code 64m}), at least 4096. */
    public static final ConfigVariable<Long> SPOOL_MAX_BYTES = ConfigVariable.of(
            "VIGIL_LOG_SPOOL_MAX_BYTES",
            ConfigParsers.bytes(4096, "is not a byte count of at least 4096"),
            DEFAULT_SPOOL_MAX_BYTES);
}
