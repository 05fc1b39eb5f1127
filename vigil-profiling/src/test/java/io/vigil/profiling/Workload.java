package io.vigil.profiling;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** CPU-bound work that also allocates, so every profile type has samples. */
final class Workload {
    private static volatile byte[] sink;

    private Workload() {}

    /** Hashes for about {@code millis} ms on the calling thread. */
    static void burn(long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] data = "vigil".getBytes(StandardCharsets.UTF_8);
            while (System.nanoTime() < end) {
                for (int i = 0; i < 1000; i++) {
                    data = sha.digest(data);
                }
                sink = new byte[64 * 1024];
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
