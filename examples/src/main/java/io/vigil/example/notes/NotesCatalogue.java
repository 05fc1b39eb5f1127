package io.vigil.example.notes;

import io.vigil.core.DatabaseOperation;
import io.vigil.core.OperationKind;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * Every operation kind the notes service emits — its own {@link NoteOperation} and the database
 * operations vigil-jdbc records — for tools that generate its dashboards and alerts.
 */
public final class NotesCatalogue implements Supplier<Collection<OperationKind>> {
    /** The kinds, in a fixed order. */
    @Override
    public Collection<OperationKind> get() {
        return List.of(NoteOperation.KIND, DatabaseOperation.KIND);
    }
}
