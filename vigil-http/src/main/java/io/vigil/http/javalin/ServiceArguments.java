package io.vigil.http.javalin;

import java.io.PrintStream;

/**
 * The command line of a service configured by its environment, as Vigil's services read theirs: no arguments starts
 * it, {@code --help} (or {@code -h}) prints the usage, and anything else is one line naming it plus the usage, exit
 * code 2 — an argument such as {@code --port 9000} silently ignored would leave the operator believing it applied.
 */
public final class ServiceArguments {
    /** {@link #check}'s answer when the service is to start. */
    public static final int START = -1;

    private ServiceArguments() {}

    /**
     * What {@code args} ask for.
     *
     * @param service the service's name, first on the error line
     * @param usage the usage text, printed for {@code --help} (on {@code out}) and after an error (on {@code err})
     * @return {@link #START}, or the exit code once answered: 0 for {@code --help}, 2 for anything else
     */
    public static int check(String service, String usage, String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            return START;
        }
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            out.println(usage);
            return 0;
        }
        err.println(service + ": unexpected argument " + args[0]
                + " (it is configured by environment variables; see --help)");
        err.println(usage);
        return 2;
    }
}
