package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in headless Chromium: find the login trace, open its waterfall, follow a log line to its trace and a span
 * to its operation's metrics. Screenshots go to target/screenshots. Skipped without Chromium, except under
 * {@code -Dvigil.require.servers=true}, where a missing browser fails the build.
 */
class BrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SHOTS = Path.of("target", "screenshots");

    private static VigilConsole console;
    private static WebDriver driver;
    private static String traceId;

    @BeforeAll
    static void start() throws IOException {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            if (Boolean.getBoolean("vigil.require.servers")) {
                fail("Chromium and chromedriver are required (apt-get install -y chromium chromium-driver)");
            }
            Assumptions.abort("Chromium or chromedriver not installed; browser test skipped");
        }
        console = VigilConsole.builder().httpPort(0).grpcPort(-1).start();
        traceId = sendLogin(console.httpEndpoint());
        assertThat(console.flush(Duration.ofSeconds(10))).isTrue();
        Files.createDirectories(SHOTS);
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                .addArguments(
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                        "--window-size=1400,900");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (console != null) {
            console.close();
        }
    }

    private static Resource resource() {
        return Resource.getDefault()
                .merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "identity-service")));
    }

    /** What identity-service emits for a failed login: the trace, a correlated log line, the auth metrics. */
    static String sendLogin(String endpoint) {
        try (SdkTracerProvider tp = SdkTracerProvider.builder()
                        .setResource(resource())
                        .addSpanProcessor(SimpleSpanProcessor.create(OtlpHttpSpanExporter.builder()
                                .setEndpoint(endpoint + "/v1/traces")
                                .build()))
                        .build();
                SdkLoggerProvider lp = SdkLoggerProvider.builder()
                        .setResource(resource())
                        .addLogRecordProcessor(SimpleLogRecordProcessor.create(OtlpHttpLogRecordExporter.builder()
                                .setEndpoint(endpoint + "/v1/logs")
                                .build()))
                        .build();
                SdkMeterProvider mp = SdkMeterProvider.builder()
                        .setResource(resource())
                        .registerMetricReader(PeriodicMetricReader.builder(OtlpHttpMetricExporter.builder()
                                        .setEndpoint(endpoint + "/v1/metrics")
                                        .build())
                                .setInterval(Duration.ofHours(1))
                                .build())
                        .build()) {
            Tracer tracer = tp.get("io.vigil.identity");
            Span root = tracer.spanBuilder("POST /api/v1/auth/login")
                    .setSpanKind(SpanKind.SERVER)
                    .setAttribute("http.request.method", "POST")
                    .setAttribute("http.route", "/api/v1/auth/login")
                    .startSpan();
            try (Scope r = root.makeCurrent()) {
                Span auth = tracer.spanBuilder("auth.login.authenticate_user")
                        .setAttribute("auth.type", "login")
                        .setAttribute("auth.status", "failure")
                        .setAttribute("user.email", "j***@example.com")
                        .startSpan();
                try (Scope a = auth.makeCurrent()) {
                    tracer.spanBuilder("SELECT users").startSpan().end();
                    lp.get("io.vigil.identity.auth")
                            .logRecordBuilder()
                            .setSeverity(Severity.WARN)
                            .setBody("Login failed: invalid credentials")
                            .setAttribute(AttributeKey.stringKey("event_type"), "authentication")
                            .setContext(Context.current())
                            .emit();
                    auth.recordException(new IllegalStateException("invalid credentials"));
                    auth.setStatus(StatusCode.ERROR, "invalid credentials");
                } finally {
                    auth.end();
                }
                tracer.spanBuilder("token.generate.access.create_access_token")
                        .addLink(
                                auth.getSpanContext(),
                                Attributes.of(AttributeKey.stringKey("link.reason"), "after authentication"))
                        .startSpan()
                        .end();
            } finally {
                root.end();
            }
            mp.get("io.vigil.identity")
                    .counterBuilder("authentication_attempts_total")
                    .build()
                    .add(
                            3,
                            Attributes.of(
                                    AttributeKey.stringKey("auth_type"),
                                    "login",
                                    AttributeKey.stringKey("status"),
                                    "failure"));
            mp.get("io.vigil.identity")
                    .histogramBuilder("authentication_duration_seconds")
                    .setUnit("s")
                    .setExplicitBucketBoundariesAdvice(List.of(0.05, 0.1, 0.25, 0.5, 1.0))
                    .build()
                    .record(0.08, Attributes.of(AttributeKey.stringKey("auth_type"), "login"));
            tp.forceFlush().join(10, TimeUnit.SECONDS);
            lp.forceFlush().join(10, TimeUnit.SECONDS);
            mp.forceFlush().join(10, TimeUnit.SECONDS);
            return root.getSpanContext().getTraceId();
        }
    }

    private static WebDriverWait waiting() {
        return new WebDriverWait(driver, Duration.ofSeconds(15));
    }

    private static void screenshot(String name) throws IOException {
        byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        Files.write(SHOTS.resolve(name + ".png"), png);
    }

    @Test
    void findTheLoginTraceOpenItsWaterfallFollowALogLinkAndASpansMetrics() throws IOException {
        driver.get(console.uiUrl());

        // The trace list, with the token traded for a cookie and gone from the address bar.
        WebElement row = waiting()
                .until(ExpectedConditions.presenceOfElementLocated(
                        By.cssSelector("#trace-list tr.trace-row[data-trace-id='" + traceId + "']")));
        assertThat(driver.getCurrentUrl()).doesNotContain("token=");
        assertThat(row.getText()).contains("POST /api/v1/auth/login");
        screenshot("01-trace-list");

        // The waterfall: four spans, the failed authentication among them, its details on click.
        row.click();
        waiting().until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#waterfall .span-row"), 4));
        driver.findElement(By.cssSelector("#waterfall .span-row[data-span-name='auth.login.authenticate_user']"))
                .click();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("span-details"), "auth.status"));
        assertThat(driver.findElement(By.id("span-details")).getText()).contains("invalid credentials", "failure");
        assertThat(driver.findElements(By.cssSelector("#trace-logs tbody tr"))).hasSize(1);
        // The exception event: its type, message and stack trace, not "[object HTMLDivElement]".
        String events = driver.findElement(By.id("span-events")).getText();
        assertThat(events)
                .contains("exception", "java.lang.IllegalStateException: invalid credentials", "at io.vigil.console");
        assertThat(driver.findElement(By.id("span-details")).getText()).doesNotContain("[object");
        screenshot("02-waterfall");

        // The token span's link, with its attributes, leads to the authentication span.
        driver.findElement(By.cssSelector(
                        "#waterfall .span-row[data-span-name='token.generate.access.create_access_token']"))
                .click();
        WebElement link =
                waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#span-links .span-link")));
        assertThat(link.getText()).contains("this trace", "link.reason", "after authentication");
        link.findElement(By.tagName("a")).click();
        waiting()
                .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(
                        "#waterfall .span-row.highlight[data-span-name='auth.login.authenticate_user']")));
        driver.findElement(By.cssSelector("#waterfall .span-row[data-span-name='auth.login.authenticate_user']"))
                .click();

        // From the span to its logs, and from the log line back to its trace with the span highlighted.
        driver.findElement(By.cssSelector("#span-details a.span-logs-link")).click();
        WebElement logLink =
                waiting().until(ExpectedConditions.elementToBeClickable(By.cssSelector("#log-list a.log-trace-link")));
        assertThat(driver.findElement(By.id("log-list")).getText()).contains("Login failed: invalid credentials");
        screenshot("03-logs");
        logLink.click();
        waiting()
                .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(
                        "#waterfall .span-row.highlight[data-span-name='auth.login.authenticate_user']")));
        assertThat(driver.getCurrentUrl()).contains("trace/" + traceId);
        screenshot("04-trace-from-log");

        // From the span to the metrics of its operation.
        driver.findElement(By.cssSelector("#span-details a.span-metrics-link")).click();
        waiting()
                .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(
                        "#metric-charts .chart-block[data-metric='authentication_attempts_total'] svg polyline")));
        assertThat(driver.findElement(By.id("metric-list")).getText())
                .contains("authentication_attempts_total", "authentication_duration_seconds");
        screenshot("05-metrics");
    }

    @Test
    void liveTailShowsNewLogLines() throws IOException {
        driver.get(console.httpEndpoint() + "/#/logs");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#log-list tr.log-row")));
        int before = driver.findElements(By.cssSelector("#log-list tr.log-row")).size();

        sendLogin(console.httpEndpoint());

        waiting()
                .until(d ->
                        d.findElements(By.cssSelector("#log-list tr.log-row")).size() > before);
        screenshot("06-live-tail");
    }
}
