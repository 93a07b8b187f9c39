package ossd.sdk;

import static ossd.sdk.Env.*;
import static org.junit.jupiter.api.Assertions.*;

import com.aliyun.oss.ClientBuilderConfiguration;
import com.aliyun.oss.HttpMethod;
import com.aliyun.oss.OSS;
import com.aliyun.oss.OSSClientBuilder;
import com.aliyun.oss.OSSException;
import com.aliyun.oss.common.auth.DefaultCredentialProvider;
import com.aliyun.oss.common.comm.ResponseMessage;
import com.aliyun.oss.common.comm.SignVersion;
import com.aliyun.oss.model.*;
import com.aliyun.oss.model.SetBucketCORSRequest.CORSRule;
import java.io.ByteArrayInputStream;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * OSS SDK for Java V1 (com.aliyun.oss:aliyun-sdk-oss), unchanged, under signature V1 and V4.
 * The endpoint is a loopback IP; the SDK switches to path style ("second-level domain") for IP
 * endpoints and setSLDEnabled(true) makes that explicit.
 */
class JavaV1SdkTest {
    private final List<Runnable> cleanups = new ArrayList<>();

    OSS client(String sig) {
        ClientBuilderConfiguration conf = new ClientBuilderConfiguration();
        conf.setSLDEnabled(true);
        conf.setMaxErrorRetry(0);
        conf.setSignatureVersion("v4".equals(sig) ? SignVersion.V4 : SignVersion.V1);
        OSS c = OSSClientBuilder.create().endpoint(ENDPOINT)
                .credentialsProvider(new DefaultCredentialProvider(AK, SK))
                .clientConfiguration(conf).region(REGION).build();
        cleanups.add(c::shutdown); // after the bucket cleanups, which are added in front
        return c;
    }

    /** A fresh bucket, emptied and deleted after the test. */
    String bucket(OSS c, String prefix) {
        String name = uniqueBucket(prefix);
        c.createBucket(name);
        cleanups.add(0, () -> {
            for (MultipartUpload u : c.listMultipartUploads(new ListMultipartUploadsRequest(name)).getMultipartUploads()) {
                c.abortMultipartUpload(new AbortMultipartUploadRequest(name, u.getKey(), u.getUploadId()));
            }
            for (OSSObjectSummary o : c.listObjects(new ListObjectsRequest(name).withMaxKeys(1000)).getObjectSummaries()) {
                c.deleteObject(name, o.getKey());
            }
            c.deleteBucket(name);
        });
        return name;
    }

    @AfterEach
    void cleanup() {
        for (Runnable r : cleanups) {
            r.run();
        }
    }

    static OSSException ossError(String code, Executable call) {
        OSSException e = assertThrows(OSSException.class, call);
        assertEquals(code, e.getErrorCode(), e::getMessage);
        assertRequestId(e.getRequestId());
        return e;
    }

    static CORSRule rule(List<String> origins, List<String> methods, List<String> headers, List<String> expose,
                         Integer maxAge) {
        CORSRule r = new CORSRule();
        r.setAllowedOrigins(origins);
        r.setAllowedMethods(methods);
        if (headers != null) {
            r.setAllowedHeaders(headers);
        }
        if (expose != null) {
            r.setExposeHeaders(expose);
        }
        r.setMaxAgeSeconds(maxAge);
        return r;
    }

    static Map<String, String> ci(Map<String, String> h) {
        Map<String, String> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        m.putAll(h);
        return m;
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void corsRoundTrip(String sig) {
        OSS c = client(sig);
        String b = bucket(c, "cors");
        OSSException e = ossError("NoSuchCORSConfiguration", () -> c.getBucketCORSRules(b));
        assertEquals(MSG_NO_SUCH_CORS, e.getErrorMessage());
        assertEquals(EC_NO_SUCH_CORS, e.getEC());

        SetBucketCORSRequest req = new SetBucketCORSRequest(b);
        req.addCorsRule(rule(List.of("http://B.example.test", "https://*.example.test"), List.of("PUT", "GET", "POST"),
                List.of("X-Oss-Meta-Author", "Content-Type"), List.of("ETag", "x-oss-request-id"), 100));
        req.addCorsRule(rule(List.of("*"), List.of("HEAD", "DELETE"), null, null, null));
        c.setBucketCORS(req);

        CORSConfiguration got = c.getBucketCORS(new GenericRequest(b));
        List<CORSRule> rules = got.getCorsRules();
        assertEquals(2, rules.size());
        assertEquals(List.of("http://B.example.test", "https://*.example.test"), rules.get(0).getAllowedOrigins());
        assertEquals(List.of("PUT", "GET", "POST"), rules.get(0).getAllowedMethods());
        assertEquals(List.of("x-oss-meta-author", "content-type"), rules.get(0).getAllowedHeaders(),
                "AllowedHeader comes back lowercased");
        assertEquals(List.of("ETag", "x-oss-request-id"), rules.get(0).getExposeHeaders());
        assertEquals(100, rules.get(0).getMaxAgeSeconds());
        assertEquals(List.of("*"), rules.get(1).getAllowedOrigins());
        assertEquals(List.of("HEAD", "DELETE"), rules.get(1).getAllowedMethods());
        assertTrue(rules.get(1).getAllowedHeaders().isEmpty());
        assertTrue(rules.get(1).getExposeHeaders().isEmpty());
        assertNull(rules.get(1).getMaxAgeSeconds());
        assertEquals(Boolean.FALSE, got.getResponseVary());

        // ResponseVary true; a PUT replaces every rule.
        SetBucketCORSRequest vary = new SetBucketCORSRequest(b);
        vary.addCorsRule(rule(List.of(APP_ORIGIN), List.of("GET"), null, null, null));
        vary.setResponseVary(true);
        c.setBucketCORS(vary);
        got = c.getBucketCORS(new GenericRequest(b));
        assertEquals(1, got.getCorsRules().size());
        assertEquals(Boolean.TRUE, got.getResponseVary());
        c.putObject(b, "v", new ByteArrayInputStream(new byte[] {1}));
        ObjectMetadata md = c.getObjectMetadata(b, "v");
        assertTrue(String.valueOf(md.getRawMetadata().get("Vary")).toLowerCase().contains("origin"),
                "ResponseVary true: Vary: Origin expected, got " + md.getRawMetadata());

        c.deleteBucketCORSRules(b);
        c.deleteBucketCORSRules(b); // idempotent
        ossError("NoSuchCORSConfiguration", () -> c.getBucketCORS(new GenericRequest(b)));
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void corsLimitsAndErrors(String sig) {
        OSS c = client(sig);
        String b = bucket(c, "corslim");
        SetBucketCORSRequest good = new SetBucketCORSRequest(b);
        good.addCorsRule(rule(List.of(APP_ORIGIN), List.of("GET"), null, null, 7));
        c.setBucketCORS(good);

        // What the SDK refuses before sending (SetBucketCORSRequest.addCorsRule / setCorsRules).
        SetBucketCORSRequest local = new SetBucketCORSRequest(b);
        assertThrows(IllegalArgumentException.class,
                () -> local.addCorsRule(rule(List.of("*"), List.of("GET", "OPTIONS"), null, null, null)));
        assertThrows(IllegalArgumentException.class,
                () -> local.addCorsRule(rule(List.of("*"), List.of("GET"), null, List.of("x-oss-*"), null)));
        assertThrows(IllegalArgumentException.class,
                () -> local.addCorsRule(rule(List.of("http://*.a.*.test"), List.of("GET"), null, null, null)));
        assertThrows(IllegalArgumentException.class, () -> local.setCorsRules(List.of()));

        // What the server refuses (setCorsRules does not validate, so the rules reach ossd).
        List<CORSRule> eleven = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            eleven.add(rule(List.of("http://" + i + ".example.test"), List.of("GET"), null, null, null));
        }
        Map<String, List<CORSRule>> invalid = Map.of(
                "11 rules", eleven,
                "method OPTIONS", List.of(rule(List.of("*"), List.of("OPTIONS"), null, null, null)),
                "* in ExposeHeader", List.of(rule(List.of("*"), List.of("GET"), null, List.of("*"), null)),
                "two * in AllowedHeader", List.of(rule(List.of("*"), List.of("GET"), List.of("x-*-*"), null, null)),
                "negative MaxAgeSeconds", List.of(rule(List.of("*"), List.of("GET"), null, null, -1)));
        for (Map.Entry<String, List<CORSRule>> tc : invalid.entrySet()) {
            SetBucketCORSRequest r = new SetBucketCORSRequest(b);
            r.setCorsRules(tc.getValue());
            OSSException e = ossError("InvalidArgument", () -> c.setBucketCORS(r));
            assertNotNull(e.getErrorMessage(), tc.getKey());
            List<CORSRule> now = c.getBucketCORSRules(b);
            assertEquals(1, now.size(), tc.getKey() + ": configuration must be unchanged");
            assertEquals(List.of(APP_ORIGIN), now.get(0).getAllowedOrigins(), tc.getKey());
        }
        SetBucketCORSRequest ten = new SetBucketCORSRequest(b);
        ten.setCorsRules(eleven.subList(0, 10));
        c.setBucketCORS(ten);
        List<CORSRule> got = c.getBucketCORSRules(b);
        assertEquals(10, got.size());
        for (int i = 0; i < 10; i++) {
            assertEquals(List.of("http://" + i + ".example.test"), got.get(i).getAllowedOrigins(), "rule order");
        }

        String missing = uniqueBucket("none");
        SetBucketCORSRequest onMissing = new SetBucketCORSRequest(missing);
        onMissing.addCorsRule(rule(List.of("*"), List.of("GET"), null, null, null));
        for (Executable call : List.<Executable>of(() -> c.setBucketCORS(onMissing),
                () -> c.getBucketCORSRules(missing), () -> c.deleteBucketCORSRules(missing))) {
            OSSException e = ossError("NoSuchBucket", call);
            assertEquals(MSG_NO_SUCH_BUCKET, e.getErrorMessage());
            assertEquals(EC_NO_SUCH_BUCKET, e.getEC());
        }
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void preflight(String sig) {
        OSS c = client(sig);
        String b = bucket(c, "pre");
        Function<String[], OptionsRequest> opt = a -> {
            OptionsRequest r = new OptionsRequest(b, "no-such-object");
            r.setOrigin(a[0]);
            r.setRequestMethod(HttpMethod.valueOf(a[1]));
            if (a.length > 2) {
                r.setRequestHeaders(a[2]);
            }
            return r;
        };
        ossError("AccessForbidden", () -> c.optionsObject(opt.apply(new String[] {APP_ORIGIN, "GET"})));

        SetBucketCORSRequest req = new SetBucketCORSRequest(b);
        req.addCorsRule(rule(List.of(APP_ORIGIN), List.of("GET"), null, List.of("x-first"), null));
        req.addCorsRule(rule(List.of("http://*.example.test:8080"), List.of("PUT", "GET", "POST"),
                List.of("x-oss-meta-author", "content-*"), List.of("ETag", "x-oss-request-id"), 100));
        c.setBucketCORS(req);

        ResponseMessage ok = c.optionsObject(opt.apply(new String[] {APP_ORIGIN, "PUT", "X-Oss-Meta-Author,Content-Type"}));
        assertEquals(200, ok.getStatusCode());
        Map<String, String> h = ci(ok.getHeaders());
        assertEquals(APP_ORIGIN, h.get("Access-Control-Allow-Origin"));
        assertEquals("PUT, GET, POST", h.get("Access-Control-Allow-Methods"));
        assertEquals(List.of("x-oss-meta-author", "content-type"),
                splitList(h.get("Access-Control-Allow-Headers").toLowerCase()));
        assertEquals(List.of("ETag", "x-oss-request-id"), splitList(h.get("Access-Control-Expose-Headers")));
        assertEquals("100", h.get("Access-Control-Max-Age"));

        h = ci(c.optionsObject(opt.apply(new String[] {APP_ORIGIN, "GET"})).getHeaders());
        assertEquals("GET", h.get("Access-Control-Allow-Methods"), "first matching rule wins");
        assertEquals("x-first", h.get("Access-Control-Expose-Headers"));

        for (String[] refused : List.of(new String[] {APP_ORIGIN, "PUT", "x-oss-meta-author-1"},
                new String[] {OTHER_ORIGIN, "GET"}, new String[] {APP_ORIGIN, "DELETE"})) {
            OSSException e = ossError("AccessForbidden", () -> c.optionsObject(opt.apply(refused)));
            assertTrue(e.getErrorMessage().startsWith("CORSResponse: This CORS request is not allowed."),
                    e.getErrorMessage());
        }
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void corsHeadersOnResponses(String sig) throws Exception {
        OSS c = client(sig);
        String b = bucket(c, "act");
        SetBucketCORSRequest req = new SetBucketCORSRequest(b);
        req.addCorsRule(rule(List.of(APP_ORIGIN), List.of("GET", "PUT", "HEAD"), List.of("*"),
                List.of("ETag", "x-oss-request-id"), 60));
        c.setBucketCORS(req);
        c.putObject(b, "obj", new ByteArrayInputStream("data".getBytes(StandardCharsets.UTF_8)));

        GetObjectRequest get = new GetObjectRequest(b, "obj");
        get.addHeader("Origin", APP_ORIGIN);
        try (OSSObject o = c.getObject(get)) {
            Map<String, String> h = ci(o.getResponse().getHeaders());
            assertEquals(APP_ORIGIN, h.get("Access-Control-Allow-Origin"));
            assertEquals("GET, PUT, HEAD", h.get("Access-Control-Allow-Methods"));
            assertEquals(List.of("ETag", "x-oss-request-id"), splitList(h.get("Access-Control-Expose-Headers")));
            assertEquals("data", new String(o.getObjectContent().readAllBytes(), StandardCharsets.UTF_8));
        }
        GetObjectRequest other = new GetObjectRequest(b, "obj");
        other.addHeader("Origin", OTHER_ORIGIN);
        try (OSSObject o = c.getObject(other)) {
            assertNull(ci(o.getResponse().getHeaders()).get("Access-Control-Allow-Origin"),
                    "origin no rule allows: served, without CORS headers");
        }
        // Errors: the SDK's OSSException carries no headers, so the CORS headers of an error response
        // are checked with the V2 SDK (JavaV2SdkTest.corsHeadersOnResponses); here the error itself.
        GetObjectRequest missing = new GetObjectRequest(b, "missing");
        missing.addHeader("Origin", APP_ORIGIN);
        OSSException e = ossError("NoSuchKey", () -> c.getObject(missing));
        assertEquals(EC_NO_SUCH_KEY, e.getEC());
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void objects(String sig) throws Exception {
        OSS c = client(sig);
        String b = bucket(c, "obj");
        byte[] data = randomBytes(1000);
        ObjectMetadata meta = new ObjectMetadata();
        meta.setContentType("application/x-test");
        meta.addUserMetadata("author", "java");
        c.putObject(b, "dir/a.bin", new ByteArrayInputStream(data), meta);

        GetObjectRequest ranged = new GetObjectRequest(b, "dir/a.bin");
        ranged.setRange(10, 19);
        try (OSSObject o = c.getObject(ranged)) {
            byte[] part = o.getObjectContent().readAllBytes();
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 10, 20), part);
        }
        ObjectMetadata head = c.getObjectMetadata(b, "dir/a.bin");
        assertEquals(1000, head.getContentLength());
        assertEquals("application/x-test", head.getContentType());
        assertEquals("java", head.getUserMetadata().get("author"));
        assertEquals(md5hex(data).toUpperCase(), head.getETag());
        assertEquals("Normal", head.getObjectType());

        c.copyObject(b, "dir/a.bin", b, "dir/sub/b.bin");
        try (OSSObject o = c.getObject(b, "dir/sub/b.bin")) {
            assertEquals(md5hex(data), md5hex(o.getObjectContent().readAllBytes()));
        }

        AppendObjectResult ar = c.appendObject(new AppendObjectRequest(b, "log",
                new ByteArrayInputStream("hello ".getBytes(StandardCharsets.UTF_8))).withPosition(0L));
        assertEquals(6L, ar.getNextPosition());
        ar = c.appendObject(new AppendObjectRequest(b, "log",
                new ByteArrayInputStream("world".getBytes(StandardCharsets.UTF_8))).withPosition(6L));
        assertEquals(11L, ar.getNextPosition());
        ossError("PositionNotEqualToLength", () -> c.appendObject(new AppendObjectRequest(b, "log",
                new ByteArrayInputStream("!".getBytes(StandardCharsets.UTF_8))).withPosition(3L)));
        try (OSSObject o = c.getObject(b, "log")) {
            assertEquals("hello world", new String(o.getObjectContent().readAllBytes(), StandardCharsets.UTF_8));
        }

        for (String k : List.of("dir/c.txt", "top.txt")) {
            c.putObject(b, k, new ByteArrayInputStream(k.getBytes(StandardCharsets.UTF_8)));
        }
        ObjectListing l1 = c.listObjects(new ListObjectsRequest(b).withPrefix("dir/").withDelimiter("/"));
        assertEquals(List.of("dir/a.bin", "dir/c.txt"), l1.getObjectSummaries().stream().map(OSSObjectSummary::getKey).toList());
        assertEquals(List.of("dir/sub/"), l1.getCommonPrefixes());

        ListObjectsV2Result p1 = c.listObjectsV2(new ListObjectsV2Request(b).withPrefix("dir/").withDelimiter("/").withMaxKeys(1));
        assertTrue(p1.isTruncated());
        assertEquals(List.of("dir/a.bin"), p1.getObjectSummaries().stream().map(OSSObjectSummary::getKey).toList());
        ListObjectsV2Result p2 = c.listObjectsV2(new ListObjectsV2Request(b).withPrefix("dir/").withDelimiter("/")
                .withContinuationToken(p1.getNextContinuationToken()));
        assertEquals(List.of("dir/c.txt"), p2.getObjectSummaries().stream().map(OSSObjectSummary::getKey).toList());
        assertEquals(List.of("dir/sub/"), p2.getCommonPrefixes());

        c.deleteObject(b, "top.txt");
        assertFalse(c.doesObjectExist(b, "top.txt"));
        c.deleteObject(b, "top.txt"); // deleting a missing key is not an error
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void multipart20MiB(String sig) throws Exception {
        OSS c = client(sig);
        String b = bucket(c, "mpu");
        byte[] data = randomBytes(20 * MIB);
        String id = c.initiateMultipartUpload(new InitiateMultipartUploadRequest(b, "big.bin")).getUploadId();
        int partSize = 5 * MIB;
        List<PartETag> etags = new ArrayList<>();
        for (int i = 0; i * partSize < data.length; i++) {
            int len = Math.min(partSize, data.length - i * partSize);
            UploadPartRequest up = new UploadPartRequest(b, "big.bin", id, i + 1,
                    new ByteArrayInputStream(data, i * partSize, len), len);
            etags.add(c.uploadPart(up).getPartETag());
        }
        PartListing parts = c.listParts(new ListPartsRequest(b, "big.bin", id));
        assertEquals(4, parts.getParts().size());
        c.completeMultipartUpload(new CompleteMultipartUploadRequest(b, "big.bin", id, etags));
        ObjectMetadata head = c.getObjectMetadata(b, "big.bin");
        assertEquals(20L * MIB, head.getContentLength());
        assertEquals("Multipart", head.getObjectType());
        try (OSSObject o = c.getObject(b, "big.bin")) {
            assertEquals(md5hex(data), md5hex(o.getObjectContent().readAllBytes()));
        }
        String aborted = c.initiateMultipartUpload(new InitiateMultipartUploadRequest(b, "aborted.bin")).getUploadId();
        c.abortMultipartUpload(new AbortMultipartUploadRequest(b, "aborted.bin", aborted));
        ossError("NoSuchUpload", () -> c.listParts(new ListPartsRequest(b, "aborted.bin", aborted)));
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void presignedUrls(String sig) throws Exception {
        OSS c = client(sig);
        String b = bucket(c, "psn");
        byte[] data = randomBytes(4096);
        Date exp = new Date(System.currentTimeMillis() + 300_000);
        URL put = c.generatePresignedUrl(b, "signed.bin", exp, HttpMethod.PUT);
        assertTrue(put.toString().startsWith(ENDPOINT + "/" + b + "/signed.bin?"), put.toString());
        if ("v4".equals(sig)) {
            assertTrue(put.getQuery().contains("x-oss-signature-version=OSS4-HMAC-SHA256"), put.toString());
        } else {
            assertTrue(put.getQuery().contains("Signature="), put.toString());
        }
        assertStatus(200, rawHttp("PUT", put.toString(), null, data));

        URL get = c.generatePresignedUrl(b, "signed.bin", exp, HttpMethod.GET);
        HttpResponse<byte[]> r = rawHttp("GET", get.toString(), null, null);
        assertStatus(200, r);
        assertEquals(md5hex(data), md5hex(r.body()));
        try (OSSObject o = c.getObject(get, Map.of())) {
            assertEquals(md5hex(data), md5hex(o.getObjectContent().readAllBytes()));
        }
        HttpResponse<byte[]> tampered = rawHttp("GET", get.toString().replace("signed.bin", "signed.bin2"), null, null);
        assertStatus(403, tampered);
        assertTrue(new String(tampered.body(), StandardCharsets.UTF_8).contains("<Code>SignatureDoesNotMatch</Code>"));
    }

    @ParameterizedTest(name = "signature {0}")
    @ValueSource(strings = {"v1", "v4"})
    void errors(String sig) {
        OSS c = client(sig);
        String b = bucket(c, "err");
        OSSException e = ossError("NoSuchKey", () -> c.getObject(b, "nope"));
        assertEquals(MSG_NO_SUCH_KEY, e.getErrorMessage());
        assertEquals(EC_NO_SUCH_KEY, e.getEC());
        e = ossError("NoSuchBucket", () -> c.getObject(uniqueBucket("none"), "k"));
        assertEquals(EC_NO_SUCH_BUCKET, e.getEC());

        ClientBuilderConfiguration conf = new ClientBuilderConfiguration();
        conf.setSLDEnabled(true);
        conf.setMaxErrorRetry(0);
        conf.setSignatureVersion("v4".equals(sig) ? SignVersion.V4 : SignVersion.V1);
        OSS wrong = OSSClientBuilder.create().endpoint(ENDPOINT)
                .credentialsProvider(new DefaultCredentialProvider(AK, SK + "x"))
                .clientConfiguration(conf).region(REGION).build();
        OSS unknown = OSSClientBuilder.create().endpoint(ENDPOINT)
                .credentialsProvider(new DefaultCredentialProvider("LTAINOSUCHKEY0000", SK))
                .clientConfiguration(conf).region(REGION).build();
        try {
            ossError("SignatureDoesNotMatch",
                    () -> wrong.putObject(b, "k", new ByteArrayInputStream(new byte[] {1})));
            ossError("InvalidAccessKeyId", () -> unknown.getObject(b, "k"));
        } finally {
            wrong.shutdown();
            unknown.shutdown();
        }
    }
}
