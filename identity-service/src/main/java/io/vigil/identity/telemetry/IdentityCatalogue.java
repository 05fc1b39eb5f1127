package io.vigil.identity.telemetry;

import io.vigil.conventions.identity.IdentityConventions;
import io.vigil.core.DatabaseOperation;
import io.vigil.core.MessageConsumption;
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
     * tokens, users), then vigil-core's database and message-consumption kinds, in the contract's
     * order, and vigil-jobs' task kind.
     */
    @Override
    public Collection<OperationKind> get() {
        List<OperationKind> kinds = new ArrayList<>(IdentityConventions.kinds());
        kinds.add(DatabaseOperation.KIND);
        kinds.add(MessageConsumption.KIND);
        kinds.add(JobConventions.KIND); // its background jobs (BackgroundJobs)
        return List.copyOf(kinds);
    }
}
