package ossd.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The suite's settings (from run.sh) and small helpers. OSSD_ENDPOINT must be a loopback IP
 * address; rawHttp refuses any other host, so no request of the suite leaves the machine.
 */
final class Env {
    static final String ENDPOINT = required("OSSD_ENDPOINT");
    static final String AK = required("OSSD_ACCESS_KEY_ID");
    static final String SK = required("OSSD_ACCESS_KEY_SECRET");
    static final String REGION = System.getenv().getOrDefault("OSSD_REGION", "cn-hangzhou");

    static final String APP_ORIGIN = "http://app.example.test:8080";
    static final String OTHER_ORIGIN = "http://evil.example.test";
    static final String MSG_NO_SUCH_KEY = "The specified key does not exist.";
    static final String MSG_NO_SUCH_BUCKET = "The specified bucket does not exist.";
    static final String MSG_NO_SUCH_CORS = "The CORS Configuration does not exist.";
    static final String MSG_MALFORMED_XML =
            "The XML you provided was not well-formed or did not validate against our published schema.";
    static final String EC_NO_SUCH_KEY = "0026-00000001";
    static final String EC_NO_SUCH_BUCKET = "0015-00000101";
    static final String EC_NO_SUCH_CORS = "0034-00000001";
    static final int MIB = 1 << 20;

    private static final SecureRandom RNG = new SecureRandom();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .proxy(HttpClient.Builder.NO_PROXY)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    static {
        try {
            URI u = URI.create(ENDPOINT);
            if (!InetAddress.getByName(u.getHost()).isLoopbackAddress()
                    || !u.getHost().matches("[0-9.]+|\\[?[0-9a-fA-F:]+]?")) {
                throw new IllegalStateException("OSSD_ENDPOINT must be a loopback IP address: " + ENDPOINT);
            }
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private Env() {}

    private static String required(String name) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            throw new IllegalStateException(name + " is not set (run tests/java/run.sh)");
        }
        return v;
    }

    /** A bucket name unique to this run. */
    static String uniqueBucket(String prefix) {
        byte[] b = new byte[5];
        RNG.nextBytes(b);
        return "java-" + prefix + "-" + HexFormat.of().formatHex(b);
    }

    static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RNG.nextBytes(b);
        return b;
    }

    static String md5hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> splitList(String v) {
        List<String> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        for (String p : v.split(",")) {
            if (!p.trim().isEmpty()) {
                out.add(p.trim());
            }
        }
        return out;
    }

    /** A 24-character OSS request id. */
    static void assertRequestId(String id) {
        assertTrue(id != null && id.length() == 24, "request id should have 24 characters: " + id);
    }

    /** Sends a request (presigned URLs) with the JDK client, only to the loopback endpoint. */
    static HttpResponse<byte[]> rawHttp(String method, String url, Map<String, String> headers, byte[] body)
            throws Exception {
        assertTrue(url.startsWith(ENDPOINT + "/"), "URL is not on the loopback endpoint: " + url);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers != null) {
            headers.forEach((k, v) -> {
                if (!k.equalsIgnoreCase("host") && !k.equalsIgnoreCase("content-length")) {
                    b.header(k, v);
                }
            });
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static void assertStatus(int want, HttpResponse<byte[]> r) {
        assertEquals(want, r.statusCode(), () -> new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
    }
}
