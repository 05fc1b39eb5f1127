package io.vigil.example.notes;

import static io.vigil.core.OperationKind.Trigger.END;

import io.vigil.core.Operation;
import io.vigil.core.OperationKind;
import java.util.Set;

/**
 * The notes service's own domain operation, declared once: span {@code note.<operation_type>},
 * {@code note_operations_total{operation_type,status}}, {@code
 * note_operation_duration_seconds{operation_type}} and a log event with {@code event_type=note}.
 */
public final class NoteOperation {
    /** The kind: dimensions, span naming and instruments. */
    public static final OperationKind KIND = OperationKind.builder("note_operation")
            .eventType("note")
            .dimension("operation_type", "note.operation.type", Set.of("create", "get", "list"))
            .spanName(op -> "note." + op.value(0))
            .outcome("status", "note.operation.status", OperationKind.OutcomeEncoding.STATUS)
            .failureReasons("note.failure_reason", Set.of("not_found", "invalid_text"))
            .durationSpanAttribute("note.operation.duration_seconds")
            .counter("note_operations_total", "Note operations by type and outcome", END, "operation_type", "status")
            .durationHistogram("note_operation_duration_seconds", "Note operation duration", "operation_type")
            .build();

    /** Writing a new note. */
    public static final Operation CREATE = KIND.operation("create_note", "create");
    /** Reading one note. */
    public static final Operation GET = KIND.operation("get_note", "get");
    /** Listing the latest notes. */
    public static final Operation LIST = KIND.operation("list_notes", "list");

    private NoteOperation() {}
}
