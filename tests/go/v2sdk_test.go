package sdktest

// alibabacloud-oss-go-sdk-v2: CORS, OptionObject preflights, objects, multipart (with the ListParts
// paginator and the Uploader), presigned URLs, paginators and errors, under signature V1 and V4.
// Path style on the loopback endpoint; every connection goes through loopbackClient.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

var ctx = context.Background()

func newV2Client(sig string) *oss.Client {
	cfg := oss.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKey, secretKey)).
		WithRegion(region).
		WithEndpoint(endpoint).
		WithUsePathStyle(true).
		WithHttpClient(httpClient).
		WithRetryMaxAttempts(1)
	if sig == "v1" {
		cfg = cfg.WithSignatureVersion(oss.SignatureVersionV1)
	} else {
		cfg = cfg.WithSignatureVersion(oss.SignatureVersionV4)
	}
	return oss.NewClient(cfg)
}

func v2Bucket(t *testing.T, c *oss.Client, prefix string) string {
	t.Helper()
	name := uniqueBucket(prefix)
	if _, err := c.PutBucket(ctx, &oss.PutBucketRequest{Bucket: oss.Ptr(name)}); err != nil {
		t.Fatalf("PutBucket %s: %v", name, err)
	}
	t.Cleanup(func() {
		ups := c.NewListMultipartUploadsPaginator(&oss.ListMultipartUploadsRequest{Bucket: oss.Ptr(name)})
		for ups.HasNext() {
			page, err := ups.NextPage(ctx)
			if err != nil {
				break
			}
			for _, u := range page.Uploads {
				_, _ = c.AbortMultipartUpload(ctx, &oss.AbortMultipartUploadRequest{Bucket: oss.Ptr(name), Key: u.Key, UploadId: u.UploadId})
			}
		}
		objs := c.NewListObjectsV2Paginator(&oss.ListObjectsV2Request{Bucket: oss.Ptr(name)})
		for objs.HasNext() {
			page, err := objs.NextPage(ctx)
			if err != nil {
				break
			}
			for _, o := range page.Contents {
				_, _ = c.DeleteObject(ctx, &oss.DeleteObjectRequest{Bucket: oss.Ptr(name), Key: o.Key})
			}
		}
		if _, err := c.DeleteBucket(ctx, &oss.DeleteBucketRequest{Bucket: oss.Ptr(name)}); err != nil {
			t.Errorf("DeleteBucket %s: %v", name, err)
		}
	})
	return name
}

func v2ServiceError(t *testing.T, err error, status int, code string) *oss.ServiceError {
	t.Helper()
	var se *oss.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("want *oss.ServiceError %d %s, got %T %v", status, code, err, err)
	}
	if se.StatusCode != status || se.Code != code {
		t.Fatalf("want %d %s, got %d %s (%s)", status, code, se.StatusCode, se.Code, se.Message)
	}
	requestIDOK(t, se.RequestID, se.Headers)
	return se
}

func eachSigV2(t *testing.T, f func(t *testing.T, c *oss.Client, sig string)) {
	for _, sig := range sigVersions {
		t.Run(sig, func(t *testing.T) { f(t, newV2Client(sig), sig) })
	}
}

func TestV2CorsRoundTrip(t *testing.T) {
	eachSigV2(t, func(t *testing.T, c *oss.Client, sig string) {
		name := v2Bucket(t, c, "cors")
		_, err := c.GetBucketCors(ctx, &oss.GetBucketCorsRequest{Bucket: oss.Ptr(name)})
		se := v2ServiceError(t, err, 404, "NoSuchCORSConfiguration")
		eq(t, "message", se.Message, msgNoSuchCors)
		eq(t, "EC", se.EC, ecNoSuchCors)

		put, err := c.PutBucketCors(ctx, &oss.PutBucketCorsRequest{
			Bucket: oss.Ptr(name),
			CORSConfiguration: &oss.CORSConfiguration{
				CORSRules: []oss.CORSRule{
					{
						AllowedOrigins: []string{"http://www.example.com", "https://*.Example.test"},
						AllowedMethods: []string{"PUT", "POST"},
						AllowedHeaders: []string{"*", "X-Custom"},
						ExposeHeaders:  []string{"x-oss-test2", "Content-Length"},
						MaxAgeSeconds:  oss.Ptr(int64(33012)),
					},
					{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"}},
				},
				ResponseVary: oss.Ptr(true),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "put status", put.StatusCode, 200)
		got, err := c.GetBucketCors(ctx, &oss.GetBucketCorsRequest{Bucket: oss.Ptr(name)})
		if err != nil {
			t.Fatal(err)
		}
		cfg := got.CORSConfiguration
		if cfg == nil || len(cfg.CORSRules) != 2 {
			t.Fatalf("rules: %+v", cfg)
		}
		r0, r1 := cfg.CORSRules[0], cfg.CORSRules[1]
		eqList(t, "origins", r0.AllowedOrigins, []string{"http://www.example.com", "https://*.Example.test"})
		eqList(t, "methods", r0.AllowedMethods, []string{"PUT", "POST"})
		eqList(t, "headers", r0.AllowedHeaders, []string{"*", "x-custom"})
		eqList(t, "expose", r0.ExposeHeaders, []string{"x-oss-test2", "Content-Length"})
		if r0.MaxAgeSeconds == nil || *r0.MaxAgeSeconds != 33012 {
			t.Fatalf("max age: %v", r0.MaxAgeSeconds)
		}
		eqList(t, "origins 2", r1.AllowedOrigins, []string{"*"})
		eqList(t, "methods 2", r1.AllowedMethods, []string{"GET", "HEAD"})
		if len(r1.AllowedHeaders) != 0 || len(r1.ExposeHeaders) != 0 || r1.MaxAgeSeconds != nil {
			t.Fatalf("rule 2 has elements that were not put: %+v", r1)
		}
		if cfg.ResponseVary == nil || !*cfg.ResponseVary {
			t.Fatalf("ResponseVary: %v", cfg.ResponseVary)
		}

		del, err := c.DeleteBucketCors(ctx, &oss.DeleteBucketCorsRequest{Bucket: oss.Ptr(name)})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "delete status", del.StatusCode, 204)
		del, err = c.DeleteBucketCors(ctx, &oss.DeleteBucketCorsRequest{Bucket: oss.Ptr(name)})
		if err != nil {
			t.Fatalf("second delete: %v", err)
		}
		eq(t, "second delete status", del.StatusCode, 204)
		_, err = c.GetBucketCors(ctx, &oss.GetBucketCorsRequest{Bucket: oss.Ptr(name)})
		v2ServiceError(t, err, 404, "NoSuchCORSConfiguration")
	})
}

func TestV2CorsLimitsAndErrors(t *testing.T) {
	eachSigV2(t, func(t *testing.T, c *oss.Client, sig string) {
		name := v2Bucket(t, c, "corslim")
		putRules := func(bucket string, rules ...oss.CORSRule) error {
			_, err := c.PutBucketCors(ctx, &oss.PutBucketCorsRequest{
				Bucket: oss.Ptr(bucket), CORSConfiguration: &oss.CORSConfiguration{CORSRules: rules}})
			return err
		}
		rule := func(origin string, methods ...string) oss.CORSRule {
			return oss.CORSRule{AllowedOrigins: []string{origin}, AllowedMethods: methods}
		}
		if err := putRules(name, rule(appOrigin, "GET")); err != nil {
			t.Fatal(err)
		}
		var eleven []oss.CORSRule
		for i := 0; i < 11; i++ {
			eleven = append(eleven, rule(fmt.Sprintf("http://%d.example.test", i), "GET"))
		}
		badExpose := rule("*", "GET")
		badExpose.ExposeHeaders = []string{"*"}
		badHeader := rule("*", "GET")
		badHeader.AllowedHeaders = []string{"x-*-*"}
		negAge := rule("*", "GET")
		negAge.MaxAgeSeconds = oss.Ptr(int64(-5))
		cases := []struct {
			what, code, argName string
			rules               []oss.CORSRule
		}{
			{"11 rules", "InvalidArgument", "CORSRule", eleven},
			{"method OPTIONS", "InvalidArgument", "AllowedMethod", []oss.CORSRule{rule("*", "OPTIONS")}},
			{"* in ExposeHeader", "InvalidArgument", "ExposeHeader", []oss.CORSRule{badExpose}},
			{"two * in AllowedHeader", "InvalidArgument", "AllowedHeader", []oss.CORSRule{badHeader}},
			{"negative MaxAgeSeconds", "InvalidArgument", "MaxAgeSeconds", []oss.CORSRule{negAge}},
			{"no rules", "MalformedXML", "", nil},
			{"rule without method", "MalformedXML", "", []oss.CORSRule{{AllowedOrigins: []string{"*"}}}},
		}
		for _, tc := range cases {
			err := putRules(name, tc.rules...)
			se := v2ServiceError(t, err, 400, tc.code)
			if tc.argName != "" && !bytes.Contains(se.Snapshot, []byte("<ArgumentName>"+tc.argName+"</ArgumentName>")) {
				t.Fatalf("%s: want ArgumentName %s in %s", tc.what, tc.argName, se.Snapshot)
			}
			got, err := c.GetBucketCors(ctx, &oss.GetBucketCorsRequest{Bucket: oss.Ptr(name)})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.CORSConfiguration.CORSRules) != 1 || got.CORSConfiguration.CORSRules[0].AllowedOrigins[0] != appOrigin {
				t.Fatalf("%s: configuration changed: %+v", tc.what, got.CORSConfiguration)
			}
		}
		err := putRules(uniqueBucket("none"), rule("*", "GET"))
		se := v2ServiceError(t, err, 404, "NoSuchBucket")
		eq(t, "message", se.Message, msgNoSuchBucket)
		eq(t, "EC", se.EC, ecNoSuchBucket)
	})
}

func TestV2Preflight(t *testing.T) {
	eachSigV2(t, func(t *testing.T, c *oss.Client, sig string) {
		name := v2Bucket(t, c, "pre")
		opt := func(bucket, origin, method, headers string) (*oss.OptionObjectResult, error) {
			req := &oss.OptionObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("example-object-2.jpg"),
				Origin: oss.Ptr(origin), AccessControlRequestMethod: oss.Ptr(method)}
			if headers != "" {
				req.AccessControlRequestHeaders = oss.Ptr(headers)
			}
			return c.OptionObject(ctx, req)
		}
		_, err := opt(name, appOrigin, "GET", "")
		v2ServiceError(t, err, 403, "AccessForbidden")

		_, err = c.PutBucketCors(ctx, &oss.PutBucketCorsRequest{Bucket: oss.Ptr(name), CORSConfiguration: &oss.CORSConfiguration{
			CORSRules: []oss.CORSRule{
				{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"}, AllowedHeaders: []string{"GET"},
					ExposeHeaders: []string{"x-oss-test", "x-oss-test1"}, MaxAgeSeconds: oss.Ptr(int64(33012))},
				{AllowedOrigins: []string{"http://www.example.com"}, AllowedMethods: []string{"PUT", "POST"}, AllowedHeaders: []string{"*"},
					ExposeHeaders: []string{"x-oss-test2", "x-oss-test3"}, MaxAgeSeconds: oss.Ptr(int64(33012))},
			}}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := opt(name, "http://www.example.com", "PUT", "x-oss-test2")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "status", res.StatusCode, 200)
		requestIDOK(t, res.Headers.Get("x-oss-request-id"), nil)
		eq(t, "Allow-Origin", oss.ToString(res.AccessControlAllowOrigin), "http://www.example.com")
		eq(t, "Allow-Methods", oss.ToString(res.AccessControlAllowMethods), "PUT, POST")
		eq(t, "Allow-Headers", oss.ToString(res.AccessControlAllowHeaders), "x-oss-test2")
		eqList(t, "Expose", splitList(oss.ToString(res.AccessControlExposeHeaders)), []string{"x-oss-test2", "x-oss-test3"})
		if res.AccessControlMaxAge == nil || *res.AccessControlMaxAge != 33012 {
			t.Fatalf("Max-Age: %v", res.AccessControlMaxAge)
		}
		// Rule 1 (origin *, GET/HEAD): the bare * origin answers *.
		res, err = opt(name, otherOrigin, "GET", "")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "wildcard Allow-Origin", oss.ToString(res.AccessControlAllowOrigin), "*")
		eq(t, "wildcard Allow-Methods", oss.ToString(res.AccessControlAllowMethods), "GET, HEAD")

		// Refused: PUT from another origin; a header rule 1 does not allow.
		_, err = opt(name, otherOrigin, "PUT", "")
		v2ServiceError(t, err, 403, "AccessForbidden")
		_, err = opt(name, otherOrigin, "GET", "x-other")
		v2ServiceError(t, err, 403, "AccessForbidden")

		// No such bucket.
		_, err = opt(uniqueBucket("none"), "http://www.example.com", "PUT", "")
		se := v2ServiceError(t, err, 404, "NoSuchBucket")
		eq(t, "EC", se.EC, ecNoSuchBucket)
	})
}

func TestV2CorsHeadersOnResponses(t *testing.T) {
	eachSigV2(t, func(t *testing.T, c *oss.Client, sig string) {
		name := v2Bucket(t, c, "act")
		_, err := c.PutBucketCors(ctx, &oss.PutBucketCorsRequest{Bucket: oss.Ptr(name), CORSConfiguration: &oss.CORSConfiguration{
			CORSRules: []oss.CORSRule{{AllowedOrigins: []string{appOrigin}, AllowedMethods: []string{"GET", "PUT", "HEAD"},
				AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag", "x-oss-request-id"}, MaxAgeSeconds: oss.Ptr(int64(60))}},
			ResponseVary: oss.Ptr(true)}})
		if err != nil {
			t.Fatal(err)
		}
		origin := oss.RequestCommon{Headers: map[string]string{"Origin": appOrigin}}
		check := func(what string, h http.Header) {
			t.Helper()
			eq(t, what+" Allow-Origin", h.Get("Access-Control-Allow-Origin"), appOrigin)
			eq(t, what+" Allow-Methods", h.Get("Access-Control-Allow-Methods"), "GET, PUT, HEAD")
			eqList(t, what+" Expose", splitList(h.Get("Access-Control-Expose-Headers")), []string{"ETag", "x-oss-request-id"})
			if !strings.Contains(strings.ToLower(h.Get("Vary")), "origin") {
				t.Fatalf("%s: ResponseVary true but Vary is %q", what, h.Get("Vary"))
			}
		}
		pr, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(name), Key: oss.Ptr("obj"),
			Body: strings.NewReader("data"), RequestCommon: origin})
		if err != nil {
			t.Fatal(err)
		}
		check("PutObject", pr.Headers)
		hr, err := c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(name), Key: oss.Ptr("obj"), RequestCommon: origin})
		if err != nil {
			t.Fatal(err)
		}
		check("HeadObject", hr.Headers)
		_, err = c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(name), Key: oss.Ptr("missing"), RequestCommon: origin})
		se := v2ServiceError(t, err, 404, "NoSuchKey")
		check("NoSuchKey error", se.Headers)

		// Not matching: no CORS headers, but Vary: Origin all the same.
		hr, err = c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(name), Key: oss.Ptr("obj"),
			RequestCommon: oss.RequestCommon{Headers: map[string]string{"Origin": otherOrigin}}})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "no Allow-Origin", hr.Headers.Get("Access-Control-Allow-Origin"), "")
		if !strings.Contains(strings.ToLower(hr.Headers.Get("Vary")), "origin") {
			t.Fatalf("ResponseVary true: Vary is %q", hr.Headers.Get("Vary"))
		}
	})
}

func keysOf(objs []oss.ObjectProperties) []string {
	var out []string
	for _, o := range objs {
		out = append(out, oss.ToString(o.Key))
	}
	return out
}

func prefixesOf(ps []oss.CommonPrefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, oss.ToString(p.Prefix))
	}
	return out
}

func TestV2Objects(t *testing.T) {
	eachSigV2(t, func(t *testing.T, c *oss.Client, sig string) {
		name := v2Bucket(t, c, "obj")
		b := oss.Ptr(name)
		data := randomBytes(t, 2000)
		if _, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: b, Key: oss.Ptr("dir/a.bin"), Body: bytes.NewReader(data),
			ContentType: oss.Ptr("application/x-test"), Metadata: map[string]string{"author": "go-v2"}}); err != nil {
			t.Fatal(err)
		}
		gr, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: b, Key: oss.Ptr("dir/a.bin"), Range: oss.Ptr("bytes=100-199")})
		if err != nil {
			t.Fatal(err)
		}
		part, _ := io.ReadAll(gr.Body)
		gr.Body.Close()
		eq(t, "range status", gr.StatusCode, 206)
		eq(t, "range body", md5hex(part), md5hex(data[100:200]))
		eq(t, "Content-Range", oss.ToString(gr.ContentRange), "bytes 100-199/2000")

		hr, err := c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: b, Key: oss.Ptr("dir/a.bin")})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "length", hr.ContentLength, int64(2000))
		eq(t, "type", oss.ToString(hr.ContentType), "application/x-test")
		eq(t, "meta", hr.Metadata["author"], "go-v2")
		eq(t, "object type", oss.ToString(hr.ObjectType), "Normal")

		if _, err := c.CopyObject(ctx, &oss.CopyObjectRequest{Bucket: b, Key: oss.Ptr("dir/sub/copy.bin"), SourceKey: oss.Ptr("dir/a.bin")}); err != nil {
			t.Fatal(err)
		}
		gr, err = c.GetObject(ctx, &oss.GetObjectRequest{Bucket: b, Key: oss.Ptr("dir/sub/copy.bin")})
		if err != nil {
			t.Fatal(err)
		}
		cp, _ := io.ReadAll(gr.Body)
		gr.Body.Close()
		eq(t, "copy", md5hex(cp), md5hex(data))

		ar, err := c.AppendObject(ctx, &oss.AppendObjectRequest{Bucket: b, Key: oss.Ptr("log"), Position: oss.Ptr(int64(0)), Body: strings.NewReader("abc")})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "next", ar.NextPosition, int64(3))
		ar, err = c.AppendObject(ctx, &oss.AppendObjectRequest{Bucket: b, Key: oss.Ptr("log"), Position: oss.Ptr(ar.NextPosition), Body: strings.NewReader("def")})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "next 2", ar.NextPosition, int64(6))
		_, err = c.AppendObject(ctx, &oss.AppendObjectRequest{Bucket: b, Key: oss.Ptr("log"), Position: oss.Ptr(int64(1)), Body: strings.NewReader("x")})
		se := v2ServiceError(t, err, 409, "PositionNotEqualToLength")
		eq(t, "next position header", se.Headers.Get("x-oss-next-append-position"), "6")

		for _, k := range []string{"dir/c.txt", "dir/d.txt", "top.txt"} {
			if _, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: b, Key: oss.Ptr(k), Body: strings.NewReader(k)}); err != nil {
				t.Fatal(err)
			}
		}
		l1, err := c.ListObjects(ctx, &oss.ListObjectsRequest{Bucket: b, Prefix: oss.Ptr("dir/"), Delimiter: oss.Ptr("/")})
		if err != nil {
			t.Fatal(err)
		}
		eqList(t, "v1 keys", keysOf(l1.Contents), []string{"dir/a.bin", "dir/c.txt", "dir/d.txt"})
		eqList(t, "v1 prefixes", prefixesOf(l1.CommonPrefixes), []string{"dir/sub/"})

		// Paginators, two entries per page: v2 (continuation token) and v1 (marker).
		var keys, prefixes []string
		pages := 0
		p2 := c.NewListObjectsV2Paginator(&oss.ListObjectsV2Request{Bucket: b, Prefix: oss.Ptr("dir/"), Delimiter: oss.Ptr("/")},
			func(o *oss.PaginatorOptions) { o.Limit = 2 })
		for p2.HasNext() {
			page, err := p2.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			keys = append(keys, keysOf(page.Contents)...)
			prefixes = append(prefixes, prefixesOf(page.CommonPrefixes)...)
		}
		eq(t, "v2 pages", pages, 2)
		eqList(t, "v2 keys", keys, []string{"dir/a.bin", "dir/c.txt", "dir/d.txt"})
		eqList(t, "v2 prefixes", prefixes, []string{"dir/sub/"})
		keys, pages = nil, 0
		p1 := c.NewListObjectsPaginator(&oss.ListObjectsRequest{Bucket: b}, func(o *oss.PaginatorOptions) { o.Limit = 2 })
		for p1.HasNext() {
			page, err := p1.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			keys = append(keys, keysOf(page.Contents)...)
		}
		eq(t, "v1 pages", pages, 3)
		eqList(t, "all keys", keys, []string{"dir/a.bin", "dir/c.txt", "dir/d.txt", "dir/sub/copy.bin", "log", "top.txt"})

		dr, err := c.DeleteObject(ctx, &oss.DeleteObjectRequest{Bucket: b, Key: oss.Ptr("top.txt")})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "delete status", dr.StatusCode, 204)
		ok, err := c.IsObjectExist(ctx, name, "top.txt")
		if err != nil || ok {
			t.Fatalf("after delete: exists=%v err=%v", ok, err)
		}
	})
}

func TestV2Multipart20MiB(t *testing.T) {
	eachSigV2(t, func(t *testing.T, c *oss.Client, sig string) {
		name := v2Bucket(t, c, "mpu")
		b := oss.Ptr(name)
		data := randomBytes(t, 20*mib)
		init, err := c.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: b, Key: oss.Ptr("big.bin")})
		if err != nil {
			t.Fatal(err)
		}
		const partSize = 5 * mib
		var parts []oss.UploadPart
		for i := 0; i*partSize < len(data); i++ {
			chunk := data[i*partSize : min((i+1)*partSize, len(data))]
			up, err := c.UploadPart(ctx, &oss.UploadPartRequest{Bucket: b, Key: oss.Ptr("big.bin"), UploadId: init.UploadId,
				PartNumber: int32(i + 1), Body: bytes.NewReader(chunk)})
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, oss.UploadPart{PartNumber: int32(i + 1), ETag: up.ETag})
		}
		// The ListParts paginator, one part per page.
		listed := 0
		lp := c.NewListPartsPaginator(&oss.ListPartsRequest{Bucket: b, Key: oss.Ptr("big.bin"), UploadId: init.UploadId},
			func(o *oss.PaginatorOptions) { o.Limit = 1 })
		for lp.HasNext() {
			page, err := lp.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Parts {
				listed++
				eq(t, "part number", p.PartNumber, int32(listed))
				eq(t, "part size", p.Size, int64(partSize))
			}
		}
		eq(t, "listed parts", listed, 4)
		if _, err := c.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: b, Key: oss.Ptr("big.bin"),
			UploadId: init.UploadId, CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: parts}}); err != nil {
			t.Fatal(err)
		}
		gr, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: b, Key: oss.Ptr("big.bin")})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(gr.Body)
		gr.Body.Close()
		eq(t, "multipart md5", md5hex(got), md5hex(data))
		eq(t, "object type", gr.Headers.Get("x-oss-object-type"), "Multipart")

		// The Uploader (concurrent multipart with CRC64 check) on the same data.
		u := c.NewUploader(func(o *oss.UploaderOptions) { o.PartSize = 5 * mib; o.ParallelNum = 2 })
		if _, err := u.UploadFrom(ctx, &oss.PutObjectRequest{Bucket: b, Key: oss.Ptr("uploaded.bin")}, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		hr, err := c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: b, Key: oss.Ptr("uploaded.bin")})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "uploader size", hr.ContentLength, int64(20*mib))
		eq(t, "uploader object type", oss.ToString(hr.ObjectType), "Multipart")

		// Completing with a wrong ETag is InvalidPart.
		init2, err := c.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: b, Key: oss.Ptr("bad.bin")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: b, Key: oss.Ptr("bad.bin"), UploadId: init2.UploadId,
			CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: []oss.UploadPart{{PartNumber: 1, ETag: oss.Ptr(`"00000000000000000000000000000000"`)}}}})
		v2ServiceError(t, err, 400, "InvalidPart")
	})
}

func TestV2Presign(t *testing.T) {
	eachSigV2(t, func(t *testing.T, c *oss.Client, sig string) {
		name := v2Bucket(t, c, "psn")
		data := randomBytes(t, 3000)
		put, err := c.Presign(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(name), Key: oss.Ptr("p.bin")}, oss.PresignExpires(5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(put.URL, endpoint+"/"+name+"/p.bin?") {
			t.Fatalf("presigned URL not path style on loopback: %s", put.URL)
		}
		if sig == "v4" && !strings.Contains(put.URL, "x-oss-signature-version=OSS4-HMAC-SHA256") {
			t.Fatalf("want a V4 URL: %s", put.URL)
		}
		st, _, body := rawDo(t, put.Method, put.URL, put.SignedHeaders, data)
		eq(t, "presigned PUT "+string(body), st, 200)
		get, err := c.Presign(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(name), Key: oss.Ptr("p.bin")}, oss.PresignExpires(5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		st, _, got := rawDo(t, get.Method, get.URL, get.SignedHeaders, nil)
		eq(t, "presigned GET", st, 200)
		eq(t, "presigned GET body", md5hex(got), md5hex(data))
		// The signature covers the method: the GET URL does not allow a PUT.
		st, _, body = rawDo(t, "PUT", get.URL, nil, []byte("x"))
		eq(t, "PUT with a GET URL", st, 403)
		if !bytes.Contains(body, []byte("<Code>SignatureDoesNotMatch</Code>")) {
			t.Fatalf("PUT with a GET URL: %s", body)
		}
	})
}

func TestV2Errors(t *testing.T) {
	eachSigV2(t, func(t *testing.T, c *oss.Client, sig string) {
		name := v2Bucket(t, c, "err")
		_, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(name), Key: oss.Ptr("nope")})
		se := v2ServiceError(t, err, 404, "NoSuchKey")
		eq(t, "message", se.Message, msgNoSuchKey)
		eq(t, "EC", se.EC, ecNoSuchKey)
		eq(t, "x-oss-ec", se.Headers.Get("x-oss-ec"), ecNoSuchKey)

		_, err = c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(name), Key: oss.Ptr("nope")})
		se = v2ServiceError(t, err, 404, "NoSuchKey")
		eq(t, "HEAD EC (from x-oss-ec)", se.EC, ecNoSuchKey)

		_, err = c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(uniqueBucket("none")), Key: oss.Ptr("k")})
		se = v2ServiceError(t, err, 404, "NoSuchBucket")
		eq(t, "EC", se.EC, ecNoSuchBucket)

		wrong := oss.NewClient(oss.LoadDefaultConfig().
			WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKey, secretKey+"x")).
			WithRegion(region).WithEndpoint(endpoint).WithUsePathStyle(true).WithHttpClient(httpClient).
			WithRetryMaxAttempts(1).WithSignatureVersion(map[string]oss.SignatureVersionType{"v1": oss.SignatureVersionV1, "v4": oss.SignatureVersionV4}[sig]))
		_, err = wrong.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(name), Key: oss.Ptr("k"), Body: strings.NewReader("x")})
		v2ServiceError(t, err, 403, "SignatureDoesNotMatch")
	})
}

// TestV2CorsErrorECs: the ECs OSS documents for PutBucketCors errors, EC 0034-00000002 for a
// CORSConfiguration without CORSRule and EC 0034-00000011 for an AllowedMethod outside
// GET/PUT/DELETE/POST/HEAD (help.aliyun.com/en/oss/user-guide/0034-00000002 and 0034-00000011).
func TestV2CorsErrorECs(t *testing.T) {
	c := newV2Client("v4")
	name := v2Bucket(t, c, "corsec")
	put := func(rules ...oss.CORSRule) error {
		_, err := c.PutBucketCors(ctx, &oss.PutBucketCorsRequest{Bucket: oss.Ptr(name),
			CORSConfiguration: &oss.CORSConfiguration{CORSRules: rules}})
		return err
	}
	se := v2ServiceError(t, put(), 400, "MalformedXML")
	eq(t, "EC for no CORSRule", se.EC, "0034-00000002")
	se = v2ServiceError(t, put(oss.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"PATCH"}}), 400, "InvalidArgument")
	eq(t, "EC for a bad AllowedMethod", se.EC, "0034-00000011")
}
