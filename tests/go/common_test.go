// Package sdktest runs the Alibaba Cloud OSS Go SDKs (aliyun-oss-go-sdk v3 and
// alibabacloud-oss-go-sdk-v2), unchanged, against a real ossd started by run.sh.
//
// Env: OSSD_ENDPOINT (http://127.0.0.1:PORT), OSSD_ACCESS_KEY_ID, OSSD_ACCESS_KEY_SECRET,
// OSSD_REGION (default cn-hangzhou). Every HTTP connection goes through loopbackClient, which
// refuses to dial anything but a loopback address.
package sdktest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	v2oss "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	v2creds "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	v1oss "github.com/aliyun/aliyun-oss-go-sdk/oss"
)

const (
	appOrigin   = "http://app.example.test:8080"
	otherOrigin = "http://evil.example.test"

	msgNoSuchKey    = "The specified key does not exist."
	msgNoSuchBucket = "The specified bucket does not exist."
	msgNoSuchCors   = "The CORS Configuration does not exist."
	msgMalformedXML = "The XML you provided was not well-formed or did not validate against our published schema."
	ecNoSuchKey     = "0026-00000001"
	ecNoSuchBucket  = "0015-00000101"
	ecNoSuchCors    = "0034-00000001"
	mib             = 1 << 20
)

var (
	endpoint  string // http://127.0.0.1:PORT
	hostPort  string // 127.0.0.1:PORT
	accessKey string
	secretKey string
	region    string
)

func TestMain(m *testing.M) {
	endpoint = os.Getenv("OSSD_ENDPOINT")
	accessKey = os.Getenv("OSSD_ACCESS_KEY_ID")
	secretKey = os.Getenv("OSSD_ACCESS_KEY_SECRET")
	region = os.Getenv("OSSD_REGION")
	if region == "" {
		region = "cn-hangzhou"
	}
	if endpoint == "" || accessKey == "" || secretKey == "" {
		fmt.Fprintln(os.Stderr, "OSSD_ENDPOINT, OSSD_ACCESS_KEY_ID and OSSD_ACCESS_KEY_SECRET must be set (use tests/go/run.sh)")
		os.Exit(2)
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		fmt.Fprintf(os.Stderr, "bad OSSD_ENDPOINT %q\n", endpoint)
		os.Exit(2)
	}
	hostPort = u.Host
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "OSSD_ENDPOINT must be a loopback IP address, got %q\n", endpoint)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// loopbackClient is the only HTTP client of the suite: no proxy, and a dialer that refuses any
// address that is not a loopback IP (so a virtual-hosted URL can never leave the machine).
func loopbackClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, _, err := net.SplitHostPort(addr)
				if err != nil {
					return nil, err
				}
				if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
					return nil, fmt.Errorf("refusing non-loopback address %q", addr)
				}
				return dialer.DialContext(ctx, network, addr)
			},
			MaxIdleConnsPerHost: 16,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

var httpClient = loopbackClient()

// uniqueBucket is a bucket name unique to this test run.
func uniqueBucket(prefix string) string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return fmt.Sprintf("go-%s-%s", prefix, hex.EncodeToString(b))
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// rawDo sends an unsigned request straight to ossd (path style) and returns status, headers, body.
func rawDo(t *testing.T, method, rawURL string, headers map[string]string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

func eqList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

// requestIDOK checks an OSS request id: 24 hex-like characters, equal to the x-oss-request-id header
// when the header is known.
func requestIDOK(t *testing.T, id string, header http.Header) {
	t.Helper()
	if len(id) != 24 {
		t.Fatalf("request id %q: want 24 characters", id)
	}
	if header != nil {
		eq(t, "x-oss-request-id header vs body RequestId", header.Get("x-oss-request-id"), id)
	}
}

// sigVersions are the signature versions every SDK test runs under.
var sigVersions = []string{"v1", "v4"}

// TestLoopbackGuard: both SDKs really use loopbackClient, which refuses a non-loopback endpoint
// before any DNS lookup or connection (so nothing leaves the machine even by mistake).
func TestLoopbackGuard(t *testing.T) {
	const far = "http://oss-cn-hangzhou.aliyuncs.com"
	c1, err := v1oss.New(far, accessKey, secretKey, v1oss.HTTPClient(httpClient))
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := c1.Bucket("guard-bucket")
	if _, err := b1.GetObject("k"); err == nil || !strings.Contains(err.Error(), "refusing non-loopback address") {
		t.Fatalf("Go SDK v1 with a remote endpoint: want the loopback guard's error, got %v", err)
	}
	c2 := v2oss.NewClient(v2oss.LoadDefaultConfig().
		WithCredentialsProvider(v2creds.NewStaticCredentialsProvider(accessKey, secretKey)).
		WithRegion(region).WithEndpoint(far).WithHttpClient(httpClient).WithRetryMaxAttempts(1))
	_, err = c2.GetObject(context.Background(), &v2oss.GetObjectRequest{Bucket: v2oss.Ptr("guard-bucket"), Key: v2oss.Ptr("k")})
	if err == nil || !strings.Contains(err.Error(), "refusing non-loopback address") {
		t.Fatalf("Go SDK v2 with a remote endpoint: want the loopback guard's error, got %v", err)
	}
}
