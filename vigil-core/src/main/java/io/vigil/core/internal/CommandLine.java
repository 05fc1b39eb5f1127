package io.vigil.core.internal;

import io.vigil.core.Scrubber;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A process's command line through the privacy rules, argument by argument. Free-text scrubbing sees {@code
 * --app.secret=hunter2} as an assignment, but not the value of {@code --password hunter3}, which is a separate
 * argument: an option whose name the {@link Scrubber} holds sensitive ({@code --password}, {@code --db-password},
 * {@code --api-key}, {@code --token}, {@code --client-secret}) has the argument after it redacted, and {@code
 * --name=value} and {@code -Dname=value} their value, whatever the value looks like.
 */
final class CommandLine {
    private static final Pattern ARGUMENT = Pattern.compile("\\S+");

    private CommandLine() {}

    /** The arguments ({@code process.command_args}), each scrubbed; the list is new, the input left as it was. */
    static List<String> scrubArgs(List<String> args, Scrubber scrubber) {
        List<String> out = new ArrayList<>(args.size());
        boolean valueNext = false;
        for (String arg : args) {
            out.add(valueNext && isValue(arg) ? Scrubber.REDACTED : scrubArg(arg, scrubber));
            valueNext = takesSensitiveValue(arg, scrubber);
        }
        return out;
    }

    /**
     * A whole command line in one string ({@code process.command_line}, which the process detector writes when the
     * JVM cannot read its own arguments): its whitespace-separated words as {@link #scrubArgs} treats arguments, the
     * whitespace kept, and then the whole through the free-text rules.
     */
    static String scrubLine(String line, Scrubber scrubber) {
        Matcher words = ARGUMENT.matcher(line);
        StringBuilder out = new StringBuilder(line.length());
        int last = 0;
        boolean valueNext = false;
        while (words.find()) {
            String arg = words.group();
            out.append(line, last, words.start());
            out.append(valueNext && isValue(arg) ? Scrubber.REDACTED : scrubArg(arg, scrubber));
            valueNext = takesSensitiveValue(arg, scrubber);
            last = words.end();
        }
        out.append(line, last, line.length());
        return scrubber.scrubText(out.toString());
    }

    /** {@code --name=value}, {@code -Dname=value}: the value redacted when the name is sensitive; else as free text. */
    private static String scrubArg(String arg, Scrubber scrubber) {
        int eq = arg.indexOf('=');
        if (arg.startsWith("-") && eq > 0) {
            String name = optionName(arg.substring(0, eq));
            if (!name.isEmpty() && scrubber.isSensitiveKey(name)) {
                return arg.substring(0, eq + 1) + Scrubber.REDACTED;
            }
        }
        return scrubber.scrubText(arg);
    }

    /**
     * Whether {@code arg} is an option without a value of its own whose name is sensitive, so that the next argument
     * is its value. {@code -Dname} without {@code =} is a system property set to the empty string, not one taking the
     * next argument.
     */
    private static boolean takesSensitiveValue(String arg, Scrubber scrubber) {
        if (!arg.startsWith("-") || arg.indexOf('=') >= 0 || arg.startsWith("-D")) {
            return false;
        }
        String name = optionName(arg);
        return !name.isEmpty() && scrubber.isSensitiveKey(name);
    }

    /**
     * Whether the argument after a sensitive option is its value: anything but another long option ({@code
     * --password --verbose} gave the password option no value). A value starting with one dash is still redacted.
     */
    private static boolean isValue(String arg) {
        return !arg.startsWith("--");
    }

    /** {@code --db-password} → {@code db-password}, {@code -Dapi.token} → {@code api.token}. */
    private static String optionName(String option) {
        if (option.startsWith("-D")) {
            return option.substring(2);
        }
        int i = 0;
        while (i < option.length() && option.charAt(i) == '-') {
            i++;
        }
        return option.substring(i);
    }
}
