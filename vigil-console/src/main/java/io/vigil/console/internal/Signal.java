package io.vigil.console.internal;

/** The three OTLP signals; the code is the tag byte of a persisted batch. */
public enum Signal {
    TRACES(1),
    LOGS(2),
    METRICS(3);

    final int code;

    Signal(int code) {
        this.code = code;
    }

    static Signal ofCode(int code) {
        for (Signal s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }
}
