package io.vigil.logback;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.DefaultJoranConfigurator;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import io.vigil.core.Scrubber;
import io.vigil.core.VigilConfig;
import java.net.URL;

/**
 * Logback's configuration when the application brings none: the lines logged before {@link
 * VigilLogging#install} (while telemetry, the embedded console or the configuration are still
 * starting) already have the format of every later line, JSON or text as {@code LOG_FORMAT} says,
 * at {@code LOG_LEVEL}, instead of Logback's plain-text default.
 *
 * <p>Found by Logback through {@code META-INF/services}; it steps aside (so Logback reads the file)
 * whenever there is a {@code logback.xml}, a {@code logback-test.xml} or a {@code
 * logback.configurationFile} property. It writes synchronously: nothing is lost if the process
 * exits before {@code install}.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_LOW_PRIORITY)
public final class VigilLogbackConfigurator extends ContextAwareBase implements Configurator {
    /** Called by Logback's service loader. */
    public VigilLogbackConfigurator() {}

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        DefaultJoranConfigurator files = new DefaultJoranConfigurator();
        files.setContext(context);
        // Deprecated in Logback 1.5 without a public replacement (the search it runs is private); using it keeps
        // exactly Logback's own rules for what counts as a configuration file.
        @SuppressWarnings("deprecation")
        URL configurationFile = files.findURLOfDefaultConfigurationFile(false);
        if (configurationFile != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        VigilConfig config = VigilConfig.fromEnvironment();
        ConsoleAppender<ILoggingEvent> stdout = new ConsoleAppender<>();
        stdout.setName("VIGIL_STARTUP_STDOUT");
        stdout.setContext(context);
        stdout.setEncoder(VigilLogging.encoder(config, Scrubber.defaults()));
        stdout.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(VigilLogging.level(config.logLevel()));
        root.addAppender(stdout);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
