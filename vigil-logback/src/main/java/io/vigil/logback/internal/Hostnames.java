package io.vigil.logback.internal;

import java.net.InetAddress;

/** The host name written on every line, resolved once. */
public final class Hostnames {
    private static volatile String local;

    private Hostnames() {}

    /** {@code HOSTNAME} if set (containers set it to the pod name), else the resolved local name. */
    public static String local() {
        String h = local;
        if (h == null) {
            h = System.getenv("HOSTNAME");
            if (h == null || h.isBlank()) {
                try {
                    h = InetAddress.getLocalHost().getHostName();
                } catch (java.net.UnknownHostException | SecurityException e) {
                    h = "unknown"; // the line's hostname field says so; nothing else depends on it
                }
            }
            local = h;
        }
        return h;
    }
}
