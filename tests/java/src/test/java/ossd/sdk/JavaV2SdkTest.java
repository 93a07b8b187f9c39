package ossd.sdk;

import static ossd.sdk.Env.*;
import static org.junit.jupiter.api.Assertions.*;

import com.aliyun.sdk.service.oss2.OSSClient;
import com.aliyun.sdk.service.oss2.PresignOptions;
import com.aliyun.sdk.service.oss2.credentials.StaticCredentialsProvider;
import com.aliyun.sdk.service.oss2.exceptions.OperationException;
import com.aliyun.sdk.service.oss2.exceptions.ServiceException;
import com.aliyun.sdk.service.oss2.models.*;
import com.aliyun.sdk.service.oss2.paginator.PaginatorOptions;
import com.aliyun.sdk.service.oss2.transport.BinaryData;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * OSS SDK for Java V2 (com.aliyun:alibabacloud-oss-v2), unchanged, under signature V1 and V4, path
 * style on the loopback endpoint: CORS, OptionObject, objects, multipart with the ListParts
 * paginator, presign, the ListObjects(V2) paginators and errors.
 */
class JavaV2SdkTest {
    private final List<AutoCloseable> closers = new ArrayList<>();

    OSSClient client(String sig, String secret) {
        OSSClient c = OSSClient.newBuilder()
                .credentialsProvider(new StaticCredentialsProvider(AK, secret))
                .region(REGION).endpoint(ENDPOINT).usePathStyle(true)
                .signatureVersion(sig).retryMaxAttempts(1)
                .build();
        closers.add(c);
        return c;
    }

    OSSClient client(String sig) {
        return client(sig, SK);
    }

    String bucket(OSSClient c, String prefix) {
        String name = uniqueBucket(prefix);
        c.putBucket(PutBucketRequest.newBuilder().bucket(name).build());
        closers.add(0, () -> {
            for (ListObjectsV2Result page : c.listObjectsV2Paginator(ListObjectsV2Request.newBuilder().bucket(name).build())) {
                for (ObjectSummary o : page.contents()) {
                    c.deleteObject(DeleteObjectRequest.newBuilder().bucket(name).key(o.key()).build());
                }
            }
            ListMultipartUploadsResult ups = c.listMultipartUploads(ListMultipartUploadsRequest.newBuilder().bucket(name).build());
            if (ups.uploads() != null) {
                for (Upload u : ups.uploads()) {
                    c.abortMultipartUpload(AbortMultipartUploadRequest.newBuilder().bucket(name).key(u.key())
                            .uploadId(u.uploadId()).build());
                }
            }
            c.deleteBucket(DeleteBucketRequest.newBuilder().bucket(name).build());
        });
        return name;
    }

    @AfterEach
    void cleanup() throws Exception {
        for (AutoCloseable c : closers) {
            c.close();
        }
    }

    /** The SDK wraps service errors in OperationException; returns the ServiceException. */
    static ServiceException serviceError(int status, String code, Executable call) {
        OperationException oe = assertThrows(OperationException.class, call);
        Throwable t = oe.contains(ServiceException.class);
        assertNotNull(t, () -> "no ServiceException in " + oe);
        ServiceException se = (ServiceException) t;
        assertEquals(status, se.statusCode(), se::toString);
        assertEquals(code, se.errorCode(), se::toString);
        assertRequestId(se.requestId());
        assertEquals(se.requestId(), ci(se.headers()).get("x-oss-request-id"));
        return se;
    }

    static Map<String, String> ci(Map<String, String> h) {
        Map<String, String> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        m.putAll(h);
        return m;
    }

    static CORSRule rule(List<String> origins, List<String> methods, List<String> headers, List<String> expose, Long maxAge) {
        CORSRule.Builder b = CORSRule.newBuilder().allowedOrigins(origins).allowedMethods(methods);
        if (headers != null) {
            b.allowedHeaders(headers);
        }
        if (expose != null) {
            b.exposeHeaders(expose);
        }
        if (maxAge != null) {
            b.maxAgeSeconds(maxAge);
        }
        return b.build();
    }

    static PutBucketCorsRequest putCors(String bucket, Boolean vary, List<CORSRule> rules) {
        CORSConfiguration.Builder cfg = CORSConfiguration.newBuilder().corsRules(rules);
        if (vary != null) {
            cfg.responseVary(vary);
        }
        return PutBucketCorsRequest.newBuilder().bucket(bucket).corsConfiguration(cfg.build()).build();
    }

    static byte[] readAll(GetObjectResult r) throws Exception {
        try (InputStream in = r.body()) {
            return in.readAllBytes();
        }
    }

    /**
     * The SDK's SignerV1 writes the Date header with java.time's RFC_1123_DATE_TIME, which does not
     * zero-pad the day ("Wed, 2 Dec 2026 14:46:05 GMT", as RFC 1123 allows); ossd reads it (it
     * refused it before the SDK suites found it). Runs every day; a one-digit day is exercised on
     * days 1-9 of a month, and by ossd-sig's unit test `rfc1123_one_digit_day` always.
     */
    @org.junit.jupiter.api.Test
    void signatureV1DateHeader() throws Exception {
        try (OSSClient c = OSSClient.newBuilder().credentialsProvider(new StaticCredentialsProvider(AK, SK))
                .region(REGION).endpoint(ENDPOINT).usePathStyle(true).signatureVersion("v1").retryMaxAttempts(1).build()) {
            String name = uniqueBucket("day");
            c.putBucket(PutBucketRequest.newBuilder().bucket(name).build());
            c.deleteBucket(DeleteBucketRequest.newBuilder().bucket(name).build());
        }
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void corsRoundTrip(String sig) {
        OSSClient c = client(sig);
        String b = bucket(c, "cors");
        GetBucketCorsRequest get = GetBucketCorsRequest.newBuilder().bucket(b).build();
        ServiceException e = serviceError(404, "NoSuchCORSConfiguration", () -> c.getBucketCors(get));
        assertEquals(MSG_NO_SUCH_CORS, e.errorMessage());
        assertEquals(EC_NO_SUCH_CORS, e.ec());

        PutBucketCorsResult put = c.putBucketCors(putCors(b, true, List.of(
                rule(List.of("http://www.example.com", "https://*.Example.test"), List.of("PUT", "POST"),
                        List.of("*", "X-Custom"), List.of("x-oss-test2", "Content-Length"), 33012L),
                rule(List.of("*"), List.of("GET", "HEAD"), null, null, null))));
        assertEquals(200, put.statusCode());
        CORSConfiguration cfg = c.getBucketCors(get).corsConfiguration();
        assertEquals(2, cfg.corsRules().size());
        CORSRule r0 = cfg.corsRules().get(0);
        CORSRule r1 = cfg.corsRules().get(1);
        assertEquals(List.of("http://www.example.com", "https://*.Example.test"), r0.allowedOrigins());
        assertEquals(List.of("PUT", "POST"), r0.allowedMethods());
        assertEquals(List.of("*", "x-custom"), r0.allowedHeaders(), "AllowedHeader comes back lowercased");
        assertEquals(List.of("x-oss-test2", "Content-Length"), r0.exposeHeaders());
        assertEquals(33012L, r0.maxAgeSeconds());
        assertEquals(List.of("*"), r1.allowedOrigins());
        assertEquals(List.of("GET", "HEAD"), r1.allowedMethods());
        assertTrue(r1.allowedHeaders() == null || r1.allowedHeaders().isEmpty());
        assertTrue(r1.exposeHeaders() == null || r1.exposeHeaders().isEmpty());
        assertNull(r1.maxAgeSeconds());
        assertEquals(Boolean.TRUE, cfg.responseVary());

        // A PUT without ResponseVary replaces everything; GET reports ResponseVary false.
        c.putBucketCors(putCors(b, null, List.of(rule(List.of(APP_ORIGIN), List.of("GET"), null, null, null))));
        cfg = c.getBucketCors(get).corsConfiguration();
        assertEquals(1, cfg.corsRules().size());
        assertEquals(Boolean.FALSE, cfg.responseVary());

        DeleteBucketCorsRequest del = DeleteBucketCorsRequest.newBuilder().bucket(b).build();
        assertEquals(204, c.deleteBucketCors(del).statusCode());
        assertEquals(204, c.deleteBucketCors(del).statusCode());
        serviceError(404, "NoSuchCORSConfiguration", () -> c.getBucketCors(get));
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void corsLimitsAndErrors(String sig) {
        OSSClient c = client(sig);
        String b = bucket(c, "corslim");
        c.putBucketCors(putCors(b, null, List.of(rule(List.of(APP_ORIGIN), List.of("GET"), null, null, 7L))));
        List<CORSRule> eleven = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            eleven.add(rule(List.of("http://" + i + ".example.test"), List.of("GET"), null, null, null));
        }
        Map<String, Object[]> cases = new LinkedHashMap<>();
        cases.put("11 rules", new Object[] {"InvalidArgument", "CORSRule", eleven});
        cases.put("method PATCH", new Object[] {"InvalidArgument", "AllowedMethod",
                List.of(rule(List.of("*"), List.of("PATCH"), null, null, null))});
        cases.put("* in ExposeHeader", new Object[] {"InvalidArgument", "ExposeHeader",
                List.of(rule(List.of("*"), List.of("GET"), null, List.of("x-oss-*"), null))});
        cases.put("two * in origin", new Object[] {"InvalidArgument", "AllowedOrigin",
                List.of(rule(List.of("http://*.a.*.test"), List.of("GET"), null, null, null))});
        cases.put("negative MaxAgeSeconds", new Object[] {"InvalidArgument", "MaxAgeSeconds",
                List.of(rule(List.of("*"), List.of("GET"), null, null, -1L))});
        cases.put("no rules", new Object[] {"MalformedXML", null, List.of()});
        for (Map.Entry<String, Object[]> tc : cases.entrySet()) {
            @SuppressWarnings("unchecked")
            List<CORSRule> rules = (List<CORSRule>) tc.getValue()[2];
            ServiceException e = serviceError(400, (String) tc.getValue()[0], () -> c.putBucketCors(putCors(b, null, rules)));
            String argName = (String) tc.getValue()[1];
            if (argName != null) {
                assertEquals(argName, e.errorFields().get("ArgumentName"), tc.getKey());
            } else {
                assertEquals(MSG_MALFORMED_XML, e.errorMessage(), tc.getKey());
            }
            CORSConfiguration now = c.getBucketCors(GetBucketCorsRequest.newBuilder().bucket(b).build()).corsConfiguration();
            assertEquals(1, now.corsRules().size(), tc.getKey() + ": configuration must be unchanged");
            assertEquals(7L, now.corsRules().get(0).maxAgeSeconds(), tc.getKey());
        }
        ServiceException e = serviceError(404, "NoSuchBucket", () -> c.putBucketCors(
                putCors(uniqueBucket("none"), null, List.of(rule(List.of("*"), List.of("GET"), null, null, null)))));
        assertEquals(MSG_NO_SUCH_BUCKET, e.errorMessage());
        assertEquals(EC_NO_SUCH_BUCKET, e.ec());
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void preflight(String sig) {
        OSSClient c = client(sig);
        String b = bucket(c, "pre");
        java.util.function.Function<String[], OptionObjectRequest> opt = a -> {
            OptionObjectRequest.Builder r = OptionObjectRequest.newBuilder().bucket(a[0]).key("example-object-2.jpg")
                    .origin(a[1]).accessControlRequestMethod(a[2]);
            if (a.length > 3) {
                r.accessControlRequestHeaders(a[3]);
            }
            return r.build();
        };
        serviceError(403, "AccessForbidden", () -> c.optionObject(opt.apply(new String[] {b, APP_ORIGIN, "GET"})));
        c.putBucketCors(putCors(b, null, List.of(
                rule(List.of("*"), List.of("GET", "HEAD"), List.of("GET"), List.of("x-oss-test", "x-oss-test1"), 33012L),
                rule(List.of("http://www.example.com"), List.of("PUT", "POST"), List.of("*"),
                        List.of("x-oss-test2", "x-oss-test3"), 33012L))));
        OptionObjectResult ok = c.optionObject(opt.apply(new String[] {b, "http://www.example.com", "PUT", "x-oss-test2"}));
        assertEquals(200, ok.statusCode());
        assertRequestId(ok.requestId());
        assertEquals("http://www.example.com", ok.accessControlAllowOrigin());
        assertEquals("PUT, POST", ok.accessControlAllowMethods());
        assertEquals("x-oss-test2", ok.accessControlAllowHeaders());
        assertEquals(List.of("x-oss-test2", "x-oss-test3"), splitList(ok.accessControlExposeHeaders()));
        assertEquals(33012L, ok.accessControlMaxAge());

        OptionObjectResult any = c.optionObject(opt.apply(new String[] {b, OTHER_ORIGIN, "GET"}));
        assertEquals("*", any.accessControlAllowOrigin());
        assertEquals("GET, HEAD", any.accessControlAllowMethods());

        serviceError(403, "AccessForbidden", () -> c.optionObject(opt.apply(new String[] {b, OTHER_ORIGIN, "PUT"})));
        serviceError(403, "AccessForbidden", () -> c.optionObject(opt.apply(new String[] {b, OTHER_ORIGIN, "GET", "x-other"})));
        ServiceException e = serviceError(404, "NoSuchBucket",
                () -> c.optionObject(opt.apply(new String[] {uniqueBucket("none"), "http://www.example.com", "PUT"})));
        assertEquals(EC_NO_SUCH_BUCKET, e.ec());
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void corsHeadersOnResponses(String sig) {
        OSSClient c = client(sig);
        String b = bucket(c, "act");
        c.putBucketCors(putCors(b, true, List.of(rule(List.of(APP_ORIGIN), List.of("GET", "PUT", "HEAD"), List.of("*"),
                List.of("ETag", "x-oss-request-id"), 60L))));
        PutObjectResult put = c.putObject(PutObjectRequest.newBuilder().bucket(b).key("obj")
                .body(BinaryData.fromString("data")).header("Origin", APP_ORIGIN).build());
        checkCors("PutObject", put.headers());
        HeadObjectResult head = c.headObject(HeadObjectRequest.newBuilder().bucket(b).key("obj")
                .header("Origin", APP_ORIGIN).build());
        assertEquals(APP_ORIGIN, head.allowOrigin());
        assertEquals("GET, PUT, HEAD", head.allowMethods());
        assertEquals(List.of("ETag", "x-oss-request-id"), splitList(head.exposeHeaders()));
        // An error response to a matching request carries the CORS headers (and Vary: Origin).
        ServiceException e = serviceError(404, "NoSuchKey", () -> c.getObject(GetObjectRequest.newBuilder()
                .bucket(b).key("missing").header("Origin", APP_ORIGIN).build()));
        checkCors("NoSuchKey", e.headers());
        // Not allowed origin: no CORS headers, Vary: Origin still (ResponseVary true).
        HeadObjectResult other = c.headObject(HeadObjectRequest.newBuilder().bucket(b).key("obj")
                .header("Origin", OTHER_ORIGIN).build());
        assertNull(other.allowOrigin());
        assertTrue(String.valueOf(ci(other.headers()).get("Vary")).toLowerCase().contains("origin"));
    }

    static void checkCors(String what, Map<String, String> headers) {
        Map<String, String> h = ci(headers);
        assertEquals(APP_ORIGIN, h.get("Access-Control-Allow-Origin"), what);
        assertEquals("GET, PUT, HEAD", h.get("Access-Control-Allow-Methods"), what);
        assertEquals(List.of("ETag", "x-oss-request-id"), splitList(h.get("Access-Control-Expose-Headers")), what);
        assertTrue(String.valueOf(h.get("Vary")).toLowerCase().contains("origin"), what + ": Vary " + h.get("Vary"));
    }

    static List<String> keys(List<ObjectSummary> s) {
        return s == null ? List.of() : s.stream().map(ObjectSummary::key).toList();
    }

    static List<String> prefixes(List<CommonPrefix> p) {
        return p == null ? List.of() : p.stream().map(CommonPrefix::prefix).toList();
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void objects(String sig) throws Exception {
        OSSClient c = client(sig);
        String b = bucket(c, "obj");
        byte[] data = randomBytes(2000);
        c.putObject(PutObjectRequest.newBuilder().bucket(b).key("dir/a.bin").body(BinaryData.fromBytes(data))
                .contentType("application/x-test").metadata(Map.of("author", "java-v2")).build());
        GetObjectResult ranged = c.getObject(GetObjectRequest.newBuilder().bucket(b).key("dir/a.bin").range("bytes=100-199").build());
        assertEquals(206, ranged.statusCode());
        assertEquals("bytes 100-199/2000", ranged.contentRange());
        assertArrayEquals(Arrays.copyOfRange(data, 100, 200), readAll(ranged));

        HeadObjectResult head = c.headObject(HeadObjectRequest.newBuilder().bucket(b).key("dir/a.bin").build());
        assertEquals(2000L, head.contentLength());
        assertEquals("application/x-test", head.contentType());
        assertEquals("java-v2", head.metadata().get("author"));
        assertEquals("Normal", head.objectType());

        c.copyObject(CopyObjectRequest.newBuilder().bucket(b).key("dir/sub/copy.bin").sourceKey("dir/a.bin").build());
        assertEquals(md5hex(data), md5hex(readAll(c.getObject(GetObjectRequest.newBuilder().bucket(b).key("dir/sub/copy.bin").build()))));

        AppendObjectResult ar = c.appendObject(AppendObjectRequest.newBuilder().bucket(b).key("log").position(0L)
                .body(BinaryData.fromString("abc")).build());
        assertEquals(3L, ar.nextAppendPosition());
        ar = c.appendObject(AppendObjectRequest.newBuilder().bucket(b).key("log").position(3L)
                .body(BinaryData.fromString("def")).build());
        assertEquals(6L, ar.nextAppendPosition());
        ServiceException e = serviceError(409, "PositionNotEqualToLength", () -> c.appendObject(AppendObjectRequest.newBuilder()
                .bucket(b).key("log").position(1L).body(BinaryData.fromString("x")).build()));
        assertEquals("6", ci(e.headers()).get("x-oss-next-append-position"));

        for (String k : List.of("dir/c.txt", "dir/d.txt", "top.txt")) {
            c.putObject(PutObjectRequest.newBuilder().bucket(b).key(k).body(BinaryData.fromString(k)).build());
        }
        ListObjectsResult l1 = c.listObjects(ListObjectsRequest.newBuilder().bucket(b).prefix("dir/").delimiter("/").build());
        assertEquals(List.of("dir/a.bin", "dir/c.txt", "dir/d.txt"), keys(l1.contents()));
        assertEquals(List.of("dir/sub/"), prefixes(l1.commonPrefixes()));

        List<String> ks = new ArrayList<>();
        List<String> ps = new ArrayList<>();
        int pages = 0;
        for (ListObjectsV2Result page : c.listObjectsV2Paginator(
                ListObjectsV2Request.newBuilder().bucket(b).prefix("dir/").delimiter("/").build(),
                PaginatorOptions.newBuilder().limit(2L).build())) {
            pages++;
            ks.addAll(keys(page.contents()));
            ps.addAll(prefixes(page.commonPrefixes()));
        }
        assertEquals(2, pages);
        assertEquals(List.of("dir/a.bin", "dir/c.txt", "dir/d.txt"), ks);
        assertEquals(List.of("dir/sub/"), ps);
        ks.clear();
        pages = 0;
        for (ListObjectsResult page : c.listObjectsPaginator(ListObjectsRequest.newBuilder().bucket(b).build(),
                PaginatorOptions.newBuilder().limit(2L).build())) {
            pages++;
            ks.addAll(keys(page.contents()));
        }
        assertEquals(3, pages);
        assertEquals(List.of("dir/a.bin", "dir/c.txt", "dir/d.txt", "dir/sub/copy.bin", "log", "top.txt"), ks);

        assertEquals(204, c.deleteObject(DeleteObjectRequest.newBuilder().bucket(b).key("top.txt").build()).statusCode());
        assertFalse(c.doesObjectExist(b, "top.txt"));
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void multipart20MiB(String sig) throws Exception {
        OSSClient c = client(sig);
        String b = bucket(c, "mpu");
        byte[] data = randomBytes(20 * MIB);
        String id = c.initiateMultipartUpload(InitiateMultipartUploadRequest.newBuilder().bucket(b).key("big.bin").build())
                .initiateMultipartUpload().uploadId();
        int partSize = 5 * MIB;
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i * partSize < data.length; i++) {
            byte[] chunk = Arrays.copyOfRange(data, i * partSize, Math.min(data.length, (i + 1) * partSize));
            UploadPartResult up = c.uploadPart(UploadPartRequest.newBuilder().bucket(b).key("big.bin").uploadId(id)
                    .partNumber((long) i + 1).body(BinaryData.fromBytes(chunk)).build());
            parts.add(Part.newBuilder().partNumber((long) i + 1).eTag(up.eTag()).build());
        }
        long listed = 0;
        for (ListPartsResult page : c.listPartsPaginator(ListPartsRequest.newBuilder().bucket(b).key("big.bin").uploadId(id).build(),
                PaginatorOptions.newBuilder().limit(1L).build())) {
            for (Part p : page.parts()) {
                listed++;
                assertEquals(listed, p.partNumber());
                assertEquals((long) partSize, p.size());
            }
        }
        assertEquals(4, listed);
        c.completeMultipartUpload(CompleteMultipartUploadRequest.newBuilder().bucket(b).key("big.bin").uploadId(id)
                .completeMultipartUpload(CompleteMultipartUpload.newBuilder().parts(parts).build()).build());
        GetObjectResult got = c.getObject(GetObjectRequest.newBuilder().bucket(b).key("big.bin").build());
        assertEquals("Multipart", got.objectType());
        assertEquals(md5hex(data), md5hex(readAll(got)));

        String id2 = c.initiateMultipartUpload(InitiateMultipartUploadRequest.newBuilder().bucket(b).key("bad.bin").build())
                .initiateMultipartUpload().uploadId();
        serviceError(400, "InvalidPart", () -> c.completeMultipartUpload(CompleteMultipartUploadRequest.newBuilder()
                .bucket(b).key("bad.bin").uploadId(id2).completeMultipartUpload(CompleteMultipartUpload.newBuilder()
                        .parts(List.of(Part.newBuilder().partNumber(1L).eTag("\"00000000000000000000000000000000\"").build()))
                        .build()).build()));
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void presign(String sig) throws Exception {
        OSSClient c = client(sig);
        String b = bucket(c, "psn");
        byte[] data = randomBytes(3000);
        PresignOptions five = PresignOptions.newBuilder().expiration(Duration.ofMinutes(5)).build();
        PresignResult put = c.presign(PutObjectRequest.newBuilder().bucket(b).key("p.bin").build(), five);
        assertTrue(put.url().startsWith(ENDPOINT + "/" + b + "/p.bin?"), put.url());
        if ("v4".equals(sig)) {
            assertTrue(put.url().contains("x-oss-signature-version=OSS4-HMAC-SHA256"), put.url());
        }
        assertStatus(200, rawHttp(put.method(), put.url(), put.signedHeaders().orElse(null), data));
        PresignResult get = c.presign(GetObjectRequest.newBuilder().bucket(b).key("p.bin").build(), five);
        HttpResponse<byte[]> r = rawHttp(get.method(), get.url(), get.signedHeaders().orElse(null), null);
        assertStatus(200, r);
        assertEquals(md5hex(data), md5hex(r.body()));
        HttpResponse<byte[]> wrongMethod = rawHttp("PUT", get.url(), null, new byte[] {1});
        assertStatus(403, wrongMethod);
        assertTrue(new String(wrongMethod.body(), StandardCharsets.UTF_8).contains("<Code>SignatureDoesNotMatch</Code>"));
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void errors(String sig) {
        OSSClient c = client(sig);
        String b = bucket(c, "err");
        ServiceException e = serviceError(404, "NoSuchKey",
                () -> c.getObject(GetObjectRequest.newBuilder().bucket(b).key("nope").build()));
        assertEquals(MSG_NO_SUCH_KEY, e.errorMessage());
        assertEquals(EC_NO_SUCH_KEY, e.ec());
        assertEquals(EC_NO_SUCH_KEY, ci(e.headers()).get("x-oss-ec"));
        e = serviceError(404, "NoSuchKey", () -> c.headObject(HeadObjectRequest.newBuilder().bucket(b).key("nope").build()));
        assertEquals(EC_NO_SUCH_KEY, e.ec(), "HEAD: EC from the x-oss-ec header");
        e = serviceError(404, "NoSuchBucket",
                () -> c.getObject(GetObjectRequest.newBuilder().bucket(uniqueBucket("none")).key("k").build()));
        assertEquals(EC_NO_SUCH_BUCKET, e.ec());
        OSSClient wrong = client(sig, SK + "x");
        serviceError(403, "SignatureDoesNotMatch", () -> wrong.putObject(PutObjectRequest.newBuilder()
                .bucket(b).key("k").body(BinaryData.fromString("x")).build()));
    }
}
