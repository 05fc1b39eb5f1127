package io.vigil.bench;

import io.vigil.core.ScrubRule;
import io.vigil.core.Scrubber;
import io.vigil.core.internal.DefaultScrubRules;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code Scrubber.scrubText} on the texts it sees per request (a path, a query, a log message),
 * against the text rules alone — what {@code scrubText} did before it also looked at URL-decoded
 * forms — in the same run, so the cost of the {@code %}/{@code +} check and of decoding shows.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ScrubBenchmark {
    private static final List<ScrubRule> RULES = DefaultScrubRules.all();
    private static final Scrubber SCRUBBER = Scrubber.defaults();

    @Param({
        "/api/v1/users/6f1c2a9e-8a47-4f7e-9d3b-2f0c5e8a1b7d",
        "POST /api/v1/auth/login completed in 42 ms",
        "page=2&page_size=20&sort=created_at",
        "q=mario+kart&page=2",
        "/api/v1/users/mario%40mushroom.example",
        "email=mario%2540mushroom.example&page=2"
    })
    public String text;

    @Benchmark
    public String rulesOnly() {
        String out = text;
        for (ScrubRule rule : RULES) {
            out = rule.apply(out);
        }
        return out;
    }

    @Benchmark
    public String scrubText() {
        return SCRUBBER.scrubText(text);
    }
}
