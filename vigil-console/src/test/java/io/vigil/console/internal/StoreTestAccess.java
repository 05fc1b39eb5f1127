package io.vigil.console.internal;

/** Lets tests in other packages build the flood batches of {@link StoreTest}. */
public final class StoreTestAccess {
    private StoreTestAccess() {}

    public static byte[] spans(long batch) {
        return StoreTest.spans(batch).toByteArray();
    }
}
