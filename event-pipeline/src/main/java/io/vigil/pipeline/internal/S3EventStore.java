package io.vigil.pipeline.internal;

import io.vigil.pipeline.PipelineConfig;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;

/**
 * Raw events as objects {@code <yyyy-MM-dd>/<event id>.json} in a bucket of S3-compatible object
 * storage (MinIO in deploy/), through the AWS SDK's blocking client on the JDK's HTTP connection:
 * path-style addressing, whole-body signing (no aws-chunked uploads), checksums only where the API requires them (what S3-compatible servers
 * other than AWS understand), bounded timeouts so a store that hangs fails the request with a 503
 * rather than holding it. The bucket is created on first use when it does not exist; the store
 * starts while the server is down (the health probe, a {@code HeadBucket}, reports it).
 */
public final class S3EventStore implements EventStore, AutoCloseable {
    private final S3Client client;
    private final String bucket;
    private volatile boolean bucketReady;

    /** A client for {@code settings} (nothing is sent until the first put or probe). */
    public S3EventStore(PipelineConfig.S3Settings settings) {
        AwsCredentialsProvider credentials = settings.accessKey() == null
                ? AnonymousCredentialsProvider.create()
                : StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()));
        this.bucket = settings.bucket();
        this.client = S3Client.builder()
                .endpointOverride(URI.create(settings.endpoint()))
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                // Path-style (http://host:9000/bucket/key) and whole-body signing: what every S3-compatible server
                // understands (aws-chunked uploads are not, e.g. by s3rver); an event is small and in memory.
                .serviceConfiguration(S3Configuration.builder()
                        .pathStyleAccessEnabled(true)
                        .chunkedEncodingEnabled(false)
                        .build())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(2))
                        .socketTimeout(Duration.ofSeconds(10)))
                .overrideConfiguration(o -> o.apiCallTimeout(Duration.ofSeconds(15)))
                .build();
    }

    @Override
    public String put(String eventId, byte[] body) throws IOException {
        String key = LocalDate.now(ZoneOffset.UTC) + "/" + eventId + ".json";
        try {
            ensureBucket();
            client.putObject(
                    b -> b.bucket(bucket).key(key).contentType("application/json"), RequestBody.fromBytes(body));
            return key;
        } catch (SdkException e) {
            throw new IOException("object storage: " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(String key) throws IOException {
        try {
            client.deleteObject(b -> b.bucket(bucket).key(key));
        } catch (SdkException e) {
            throw new IOException("object storage: " + e.getMessage(), e);
        }
    }

    /** The object stored under {@code key} (tests, tools). */
    public byte[] get(String key) throws IOException {
        try {
            return client.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
        } catch (SdkException e) {
            throw new IOException("object storage: " + e.getMessage(), e);
        }
    }

    @Override
    public void probe() throws IOException {
        try {
            if (bucketReady) {
                client.headBucket(b -> b.bucket(bucket));
            } else {
                ensureBucket();
            }
        } catch (SdkException e) {
            throw new IOException("object storage: " + e.getMessage(), e);
        }
    }

    private void ensureBucket() {
        if (bucketReady) {
            return;
        }
        synchronized (this) {
            if (bucketReady) {
                return;
            }
            try {
                client.headBucket(b -> b.bucket(bucket));
            } catch (NoSuchBucketException e) {
                try {
                    client.createBucket(b -> b.bucket(bucket));
                } catch (BucketAlreadyOwnedByYouException raced) {
                    // another instance created it first
                }
            }
            bucketReady = true;
        }
    }

    @Override
    public String backend() {
        return "s3";
    }

    /** Closes the HTTP client. */
    @Override
    public void close() {
        client.close();
    }
}
