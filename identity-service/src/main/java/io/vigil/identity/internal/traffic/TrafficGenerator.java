package io.vigil.identity.internal.traffic;

/** Drives a realistic traffic mix against a running identity service. */
public final class TrafficGenerator {
    private TrafficGenerator() {}

    public static int run(String[] args) {
        return 0;
    }
}
