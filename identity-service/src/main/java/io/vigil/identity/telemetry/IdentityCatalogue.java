package io.vigil.identity.telemetry;

import io.vigil.conventions.identity.IdentityConventions;
import io.vigil.core.DatabaseOperation;
import io.vigil.core.OperationKind;
import io.vigil.jobs.JobConventions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * The operation kinds identity-service records: the instrument catalogue its dashboards and alert
 * rules are generated from ({@code io.vigil.dashboards.Generator --kinds
 * io.vigil.identity.telemetry.IdentityCatalogue --job identity-service --service identity-service}, run
 * by {@code ./mvnw -pl vigil-dashboards -am -Pregenerate process-classes}). Stateless and
 * thread-safe; each call returns an immutable list.
 */
public final class IdentityCatalogue implements Supplier<Collection<OperationKind>> {
    /** The catalogue; public so the generator can create it by class name. */
    public IdentityCatalogue() {}

    /**
     * The identity conventions' kinds (authentication, authorization, passwords, security events,
     * tokens, users), then vigil-core's database kind and vigil-jobs' task kind. Not vigil-core's
     * message-consumption kind: identity-service consumes no messages (it only publishes its audit
     * events), and a catalogue that claimed it would generate consumer panels and alerts nothing feeds.
     */
    @Override
    public Collection<OperationKind> get() {
        List<OperationKind> kinds = new ArrayList<>(IdentityConventions.kinds());
        kinds.add(DatabaseOperation.KIND);
        kinds.add(JobConventions.KIND); // its background jobs (BackgroundJobs)
        return List.copyOf(kinds);
    }
}
