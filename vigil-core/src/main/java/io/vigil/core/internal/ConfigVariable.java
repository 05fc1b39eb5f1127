package io.vigil.core.internal;

import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One environment variable a module reads, declared once: its name, the aliases it also answers to
 * (in order of precedence after the name), how a value is parsed and validated, its default and how
 * a value is shown in a warning. Modules keep their declarations in one class ({@code
 * CoreVariables}, the logging and profiling modules' own), and their builders start from {@link
 * #defaultValue()}: one place for each default. Immutable.
 *
 * @param name the variable's name, looked up first
 * @param aliases other names it answers to, in order of precedence
 * @param parser parses and validates a set value
 * @param defaultValue the value when nothing sets it (may be {@code null}: "none")
 * @param shown how a value is written in a warning ({@code using <shown>})
 * @param <T> the parsed type
 */
public record ConfigVariable<T>(
        String name, List<String> aliases, Parser<T> parser, T defaultValue, Function<T, String> shown) {

    public ConfigVariable {
        Objects.requireNonNull(name, "name");
        aliases = List.copyOf(aliases);
        Objects.requireNonNull(parser, "parser");
        Objects.requireNonNull(shown, "shown");
    }

    /** A variable whose values are shown with {@link String#valueOf(Object)}. */
    public static <T> ConfigVariable<T> of(String name, Parser<T> parser, T defaultValue, String... aliases) {
        return new ConfigVariable<>(name, List.of(aliases), parser, defaultValue, String::valueOf);
    }

    /** The same variable, its values shown in warnings by {@code shown}. */
    public ConfigVariable<T> shownAs(Function<T, String> shown) {
        return new ConfigVariable<>(name, aliases, parser, defaultValue, shown);
    }

    /** The same variable under other aliases (e.g. a standard name that only counts in some cases). */
    public ConfigVariable<T> withNames(String name, String... aliases) {
        return new ConfigVariable<>(name, List.of(aliases), parser, defaultValue, shown);
    }

    /** The name, then the aliases: the order in which they are looked up. */
    public List<String> names() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(name), aliases.stream())
                .toList();
    }

    /** Parses one set, non-blank value (already stripped). */
    @FunctionalInterface
    public interface Parser<T> {
        /**
         * @param raw the value, stripped, never blank
         * @param entryProblem for values made of entries ({@code k=v,k=v}): reports one bad entry (the
         *     entry, the problem) that is left out while the rest is kept
         * @throws Invalid when the value as a whole is unusable; the default is kept
         */
        T parse(String raw, BiConsumer<String, String> entryProblem);
    }

    /** A value that cannot be used; the message says why ("is not a boolean (true/false, 1/0, yes/no, on/off)"). */
    public static final class Invalid extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Invalid(String problem) {
            super(problem, null, false, false); // expected input, no stack trace wanted
        }
    }
}
