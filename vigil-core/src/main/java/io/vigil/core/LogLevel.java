package io.vigil.core;

import java.util.Locale;
import java.util.Optional;

/** A log level threshold ({@code LOG_LEVEL}, {@code MIN_LOG_LEVEL_FOR_LOKI}); {@link #OFF} logs nothing. */
public enum LogLevel {
    TRACE,
    DEBUG,
    INFO,
    WARN,
    ERROR,
    OFF;

    /**
     * The level a name stands for, ignoring case; also {@code WARNING} (as WARN) and {@code CRITICAL}
     * / {@code FATAL} (as ERROR), the names other ecosystems use. Empty for anything else.
     */
    public static Optional<LogLevel> parse(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String upper = name.strip().toUpperCase(Locale.ROOT);
        return switch (upper) {
            case "WARNING" -> Optional.of(WARN);
            case "CRITICAL", "FATAL" -> Optional.of(ERROR);
            case "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF" -> Optional.of(valueOf(upper));
            default -> Optional.empty();
        };
    }
}
