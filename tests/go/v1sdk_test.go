package sdktest

// aliyun-oss-go-sdk (v3, "Go SDK V1"): CORS, preflights, objects, multipart, presigned URLs and
// errors, under signature V1 and V4. The endpoint is an IP address, which the SDK addresses in
// path style (ForcePathStyle is set too, so a name endpoint would behave the same).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	oss "github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func newV1Client(t *testing.T, sig string) *oss.Client {
	t.Helper()
	opts := []oss.ClientOption{oss.HTTPClient(httpClient), oss.ForcePathStyle(true)}
	if sig == "v4" {
		opts = append(opts, oss.AuthVersion(oss.AuthV4), oss.Region(region))
	}
	c, err := oss.New(endpoint, accessKey, secretKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// v1Bucket creates a fresh bucket and removes it (objects, uploads and all) when the test ends.
func v1Bucket(t *testing.T, c *oss.Client, prefix string) *oss.Bucket {
	t.Helper()
	name := uniqueBucket(prefix)
	if err := c.CreateBucket(name); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	b, err := c.Bucket(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if ups, err := b.ListMultipartUploads(); err == nil {
			for _, u := range ups.Uploads {
				_ = b.AbortMultipartUpload(oss.InitiateMultipartUploadResult{Bucket: name, Key: u.Key, UploadID: u.UploadID})
			}
		}
		marker := ""
		for {
			res, err := b.ListObjects(oss.Marker(marker), oss.MaxKeys(1000))
			if err != nil {
				break
			}
			for _, o := range res.Objects {
				_ = b.DeleteObject(o.Key)
			}
			if !res.IsTruncated {
				break
			}
			marker = res.NextMarker
		}
		if err := c.DeleteBucket(name); err != nil {
			t.Errorf("DeleteBucket %s: %v", name, err)
		}
	})
	return b
}

func v1ServiceError(t *testing.T, err error, status int, code string) oss.ServiceError {
	t.Helper()
	var se oss.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("want oss.ServiceError %d %s, got %T %v", status, code, err, err)
	}
	if se.StatusCode != status || se.Code != code {
		t.Fatalf("want %d %s, got %d %s (%s)", status, code, se.StatusCode, se.Code, se.Message)
	}
	requestIDOK(t, se.RequestID, nil)
	return se
}

// eachSig runs f once per signature version.
//
// aliyun-oss-go-sdk v3.0.2 signs V4 *header* requests without an x-oss-date header: it sends Date
// (RFC 1123) and uses that value as the timestamp line of the string to sign and its day as the
// scope date (oss/auth.go signHeader, getSignedStrV4). OSS accepts this, and so does ossd (issue
// 14's SDK suites found it refused before).
func eachSig(t *testing.T, f func(t *testing.T, sig string)) {
	for _, sig := range sigVersions {
		t.Run(sig, func(t *testing.T) { f(t, sig) })
	}
}

// TestV1SignatureV4Header is the smallest case of V4 header signing with Date only.
func TestV1SignatureV4Header(t *testing.T) {
	c := newV1Client(t, "v4")
	name := uniqueBucket("v4hdr")
	if err := c.CreateBucket(name); err != nil {
		t.Fatalf("CreateBucket with a V4 header signature: %v", err)
	}
	if err := c.DeleteBucket(name); err != nil {
		t.Fatal(err)
	}
}

func boolp(b bool) *bool { return &b }

func TestV1CorsRoundTrip(t *testing.T) {
	eachSig(t, func(t *testing.T, sig string) {
		c := newV1Client(t, sig)
		b := v1Bucket(t, c, "cors")
		name := b.BucketName

		_, err := c.GetBucketCORS(name)
		se := v1ServiceError(t, err, 404, "NoSuchCORSConfiguration")
		eq(t, "message", se.Message, msgNoSuchCors)
		eq(t, "EC", se.Ec, ecNoSuchCors)

		rules := []oss.CORSRule{
			{
				AllowedOrigin: []string{"http://B.example.test", "https://*.example.test"},
				AllowedMethod: []string{"PUT", "GET", "POST"},
				AllowedHeader: []string{"X-Oss-Meta-Author", "Content-Type"},
				ExposeHeader:  []string{"ETag", "x-oss-request-id"},
				MaxAgeSeconds: 100,
			},
			{AllowedOrigin: []string{"*"}, AllowedMethod: []string{"HEAD", "DELETE", "GET"}},
		}
		if err := c.SetBucketCORS(name, rules); err != nil {
			t.Fatal(err)
		}
		got, err := c.GetBucketCORS(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.CORSRules) != 2 {
			t.Fatalf("rules: %+v", got.CORSRules)
		}
		r0, r1 := got.CORSRules[0], got.CORSRules[1]
		eqList(t, "origins", r0.AllowedOrigin, []string{"http://B.example.test", "https://*.example.test"})
		eqList(t, "methods", r0.AllowedMethod, []string{"PUT", "GET", "POST"})
		// AllowedHeader is case-insensitive and comes back lowercased, as OSS does.
		eqList(t, "headers", r0.AllowedHeader, []string{"x-oss-meta-author", "content-type"})
		eqList(t, "expose", r0.ExposeHeader, []string{"ETag", "x-oss-request-id"})
		eq(t, "max age", r0.MaxAgeSeconds, 100)
		eqList(t, "origins 2", r1.AllowedOrigin, []string{"*"})
		eqList(t, "methods 2", r1.AllowedMethod, []string{"HEAD", "DELETE", "GET"})
		eq(t, "headers 2", len(r1.AllowedHeader), 0)
		eq(t, "expose 2", len(r1.ExposeHeader), 0)
		// Go v1 always sends <MaxAgeSeconds>, 0 here; it is accepted and returned.
		eq(t, "max age 2", r1.MaxAgeSeconds, 0)
		if got.ResponseVary == nil || *got.ResponseVary {
			t.Fatalf("ResponseVary: want false, got %v", got.ResponseVary)
		}

		// The GET body is a valid PUT body (SetBucketCORSXml(GetBucketCORSXml())).
		x, err := c.GetBucketCORSXml(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SetBucketCORSXml(name, x); err != nil {
			t.Fatal(err)
		}
		x2, err := c.GetBucketCORSXml(name)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "xml round trip", x2, x)

		// SetBucketCORSV2 with ResponseVary replaces the rules and turns Vary: Origin on.
		err = c.SetBucketCORSV2(name, oss.PutBucketCORS{
			CORSRules:    []oss.CORSRule{{AllowedOrigin: []string{appOrigin}, AllowedMethod: []string{"GET"}}},
			ResponseVary: boolp(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err = c.GetBucketCORS(name)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "rules after replace", len(got.CORSRules), 1)
		if got.ResponseVary == nil || !*got.ResponseVary {
			t.Fatalf("ResponseVary: want true, got %v", got.ResponseVary)
		}
		if err := b.PutObject("v", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		var h http.Header
		if _, err := b.GetObjectDetailedMeta("v", oss.GetResponseHeader(&h)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.ToLower(h.Get("Vary")), "origin") {
			t.Fatalf("ResponseVary true: want Vary: Origin on a non-CORS response, got %q", h.Get("Vary"))
		}

		// Delete is idempotent; afterwards GetBucketCORS is 404 again.
		for i := 0; i < 2; i++ {
			if err := c.DeleteBucketCORS(name); err != nil {
				t.Fatalf("DeleteBucketCORS #%d: %v", i+1, err)
			}
		}
		_, err = c.GetBucketCORS(name)
		v1ServiceError(t, err, 404, "NoSuchCORSConfiguration")
	})
}

func TestV1CorsLimitsAndErrors(t *testing.T) {
	eachSig(t, func(t *testing.T, sig string) {
		c := newV1Client(t, sig)
		b := v1Bucket(t, c, "corslim")
		name := b.BucketName
		good := oss.CORSRule{AllowedOrigin: []string{appOrigin}, AllowedMethod: []string{"GET"}, MaxAgeSeconds: 7}
		if err := c.SetBucketCORS(name, []oss.CORSRule{good}); err != nil {
			t.Fatal(err)
		}
		before, err := c.GetBucketCORSXml(name)
		if err != nil {
			t.Fatal(err)
		}

		ten := make([]oss.CORSRule, 10)
		for i := range ten {
			ten[i] = oss.CORSRule{AllowedOrigin: []string{fmt.Sprintf("http://%d.example.test", i)}, AllowedMethod: []string{"GET"}}
		}
		eleven := append(append([]oss.CORSRule{}, ten...), good)
		bad := []struct {
			what  string
			rules []oss.CORSRule
			code  string
		}{
			{"11 rules", eleven, "InvalidArgument"},
			{"method OPTIONS", []oss.CORSRule{{AllowedOrigin: []string{"*"}, AllowedMethod: []string{"GET", "OPTIONS"}}}, "InvalidArgument"},
			{"method PATCH", []oss.CORSRule{{AllowedOrigin: []string{"*"}, AllowedMethod: []string{"PATCH"}}}, "InvalidArgument"},
			{"two * in origin", []oss.CORSRule{{AllowedOrigin: []string{"http://*.a.*.test"}, AllowedMethod: []string{"GET"}}}, "InvalidArgument"},
			{"* in ExposeHeader", []oss.CORSRule{{AllowedOrigin: []string{"*"}, AllowedMethod: []string{"GET"}, ExposeHeader: []string{"x-oss-*"}}}, "InvalidArgument"},
			{"negative MaxAgeSeconds", []oss.CORSRule{{AllowedOrigin: []string{"*"}, AllowedMethod: []string{"GET"}, MaxAgeSeconds: -1}}, "InvalidArgument"},
			{"no rules", nil, "MalformedXML"},
			{"rule without origin", []oss.CORSRule{{AllowedMethod: []string{"GET"}}}, "MalformedXML"},
		}
		for _, tc := range bad {
			err := c.SetBucketCORS(name, tc.rules)
			se := v1ServiceError(t, err, 400, tc.code)
			if tc.code == "MalformedXML" {
				eq(t, tc.what+" message", se.Message, msgMalformedXML)
			}
			after, err := c.GetBucketCORSXml(name)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, tc.what+": config unchanged", after, before)
		}
		if err := c.SetBucketCORS(name, ten); err != nil {
			t.Fatalf("10 rules: %v", err)
		}
		got, err := c.GetBucketCORS(name)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "10 rules kept", len(got.CORSRules), 10)
		for i, r := range got.CORSRules {
			eqList(t, "rule order", r.AllowedOrigin, []string{fmt.Sprintf("http://%d.example.test", i)})
		}

		missing := uniqueBucket("none")
		for _, op := range []func() error{
			func() error { return c.SetBucketCORS(missing, []oss.CORSRule{good}) },
			func() error { _, err := c.GetBucketCORS(missing); return err },
			func() error { return c.DeleteBucketCORS(missing) },
		} {
			se := v1ServiceError(t, op(), 404, "NoSuchBucket")
			eq(t, "message", se.Message, msgNoSuchBucket)
			eq(t, "EC", se.Ec, ecNoSuchBucket)
		}
	})
}

func TestV1Preflight(t *testing.T) {
	eachSig(t, func(t *testing.T, sig string) {
		c := newV1Client(t, sig)
		b := v1Bucket(t, c, "pre")

		// No CORS configuration: every preflight is refused.
		_, err := b.OptionsMethod("k", oss.Origin(appOrigin), oss.ACReqMethod("GET"))
		v1ServiceError(t, err, 403, "AccessForbidden")

		err = c.SetBucketCORS(b.BucketName, []oss.CORSRule{
			{AllowedOrigin: []string{appOrigin}, AllowedMethod: []string{"GET"}, ExposeHeader: []string{"x-first"}},
			{
				AllowedOrigin: []string{"http://*.example.test:8080"},
				AllowedMethod: []string{"PUT", "GET", "POST"},
				AllowedHeader: []string{"x-oss-meta-author", "content-*"},
				ExposeHeader:  []string{"ETag", "x-oss-request-id"},
				MaxAgeSeconds: 100,
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		// First rule does not allow PUT; the second does (first match wins, method included).
		for _, key := range []string{"no-such-object", ""} {
			h, err := b.OptionsMethod(key, oss.Origin(appOrigin), oss.ACReqMethod("PUT"),
				oss.ACReqHeaders("X-Oss-Meta-Author, Content-Type"))
			if err != nil {
				t.Fatalf("preflight %q: %v", key, err)
			}
			eq(t, "Allow-Origin", h.Get("Access-Control-Allow-Origin"), appOrigin)
			eq(t, "Allow-Methods", h.Get("Access-Control-Allow-Methods"), "PUT, GET, POST")
			eqList(t, "Allow-Headers", splitList(strings.ToLower(h.Get("Access-Control-Allow-Headers"))),
				[]string{"x-oss-meta-author", "content-type"})
			eqList(t, "Expose-Headers", splitList(h.Get("Access-Control-Expose-Headers")), []string{"ETag", "x-oss-request-id"})
			eq(t, "Max-Age", h.Get("Access-Control-Max-Age"), "100")
		}
		// GET matches the first rule.
		h, err := b.OptionsMethod("k", oss.Origin(appOrigin), oss.ACReqMethod("GET"))
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "first rule Allow-Methods", h.Get("Access-Control-Allow-Methods"), "GET")
		eq(t, "first rule Expose", h.Get("Access-Control-Expose-Headers"), "x-first")

		refused := []struct {
			what          string
			origin, m, hs string
		}{
			{"header is a superstring of an allowed one", appOrigin, "PUT", "x-oss-meta-author-1"},
			{"origin not listed", otherOrigin, "GET", ""},
			{"method not allowed", appOrigin, "DELETE", ""},
		}
		for _, tc := range refused {
			opts := []oss.Option{oss.Origin(tc.origin), oss.ACReqMethod(tc.m)}
			if tc.hs != "" {
				opts = append(opts, oss.ACReqHeaders(tc.hs))
			}
			_, err := b.OptionsMethod("k", opts...)
			se := v1ServiceError(t, err, 403, "AccessForbidden")
			if !strings.HasPrefix(se.Message, "CORSResponse: This CORS request is not allowed.") {
				t.Fatalf("%s: message %q", tc.what, se.Message)
			}
		}
	})
}

func TestV1CorsHeadersOnResponses(t *testing.T) {
	eachSig(t, func(t *testing.T, sig string) {
		c := newV1Client(t, sig)
		b := v1Bucket(t, c, "act")
		err := c.SetBucketCORS(b.BucketName, []oss.CORSRule{{
			AllowedOrigin: []string{appOrigin},
			AllowedMethod: []string{"GET", "PUT", "HEAD", "DELETE"},
			AllowedHeader: []string{"*"},
			ExposeHeader:  []string{"ETag", "x-oss-request-id"},
			MaxAgeSeconds: 60,
		}})
		if err != nil {
			t.Fatal(err)
		}
		check := func(what string, h http.Header) {
			t.Helper()
			eq(t, what+" Allow-Origin", h.Get("Access-Control-Allow-Origin"), appOrigin)
			eq(t, what+" Allow-Methods", h.Get("Access-Control-Allow-Methods"), "GET, PUT, HEAD, DELETE")
			eqList(t, what+" Expose", splitList(h.Get("Access-Control-Expose-Headers")), []string{"ETag", "x-oss-request-id"})
		}
		var h http.Header
		if err := b.PutObject("obj", strings.NewReader("data"), oss.Origin(appOrigin), oss.GetResponseHeader(&h)); err != nil {
			t.Fatal(err)
		}
		check("PutObject", h)
		h, err = b.GetObjectDetailedMeta("obj", oss.Origin(appOrigin))
		if err != nil {
			t.Fatal(err)
		}
		check("HeadObject", h)

		// An error response to a matching request carries the CORS headers too.
		var eh http.Header
		_, err = b.GetObject("missing", oss.Origin(appOrigin), oss.GetResponseHeader(&eh))
		se := v1ServiceError(t, err, 404, "NoSuchKey")
		eq(t, "EC", se.Ec, ecNoSuchKey)
		check("NoSuchKey", eh)
		requestIDOK(t, se.RequestID, eh)

		// A request from an origin no rule allows is served, without CORS headers.
		h, err = b.GetObjectDetailedMeta("obj", oss.Origin(otherOrigin))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Expose-Headers"} {
			if v := h.Get(k); v != "" {
				t.Fatalf("not allowed origin got %s: %q", k, v)
			}
		}
	})
}

func TestV1Objects(t *testing.T) {
	eachSig(t, func(t *testing.T, sig string) {
		c := newV1Client(t, sig)
		b := v1Bucket(t, c, "obj")
		data := randomBytes(t, 1000)
		if err := b.PutObject("dir/a.bin", bytes.NewReader(data), oss.ContentType("application/x-test"), oss.Meta("Author", "go")); err != nil {
			t.Fatal(err)
		}
		rc, err := b.GetObject("dir/a.bin", oss.Range(10, 19))
		if err != nil {
			t.Fatal(err)
		}
		part, _ := io.ReadAll(rc)
		rc.Close()
		eq(t, "range body", string(part), string(data[10:20]))

		h, err := b.GetObjectDetailedMeta("dir/a.bin")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "Content-Length", h.Get("Content-Length"), "1000")
		eq(t, "Content-Type", h.Get("Content-Type"), "application/x-test")
		eq(t, "meta", h.Get("X-Oss-Meta-Author"), "go")
		eq(t, "ETag", strings.Trim(h.Get("ETag"), `"`), strings.ToUpper(md5hex(data)))

		if _, err := b.CopyObject("dir/a.bin", "dir/sub/b.bin"); err != nil {
			t.Fatal(err)
		}
		rc, err = b.GetObject("dir/sub/b.bin")
		if err != nil {
			t.Fatal(err)
		}
		cp, _ := io.ReadAll(rc)
		rc.Close()
		eq(t, "copy", md5hex(cp), md5hex(data))

		next, err := b.AppendObject("log", strings.NewReader("hello "), 0)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "next position", next, int64(6))
		next, err = b.AppendObject("log", strings.NewReader("world"), next)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "next position 2", next, int64(11))
		_, err = b.AppendObject("log", strings.NewReader("!"), 3)
		se := v1ServiceError(t, err, 409, "PositionNotEqualToLength")
		_ = se
		rc, err = b.GetObject("log")
		if err != nil {
			t.Fatal(err)
		}
		lg, _ := io.ReadAll(rc)
		rc.Close()
		eq(t, "appended", string(lg), "hello world")

		for _, k := range []string{"dir/c.txt", "top.txt"} {
			if err := b.PutObject(k, strings.NewReader(k)); err != nil {
				t.Fatal(err)
			}
		}
		l1, err := b.ListObjects(oss.Prefix("dir/"), oss.Delimiter("/"))
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range l1.Objects {
			keys = append(keys, o.Key)
		}
		eqList(t, "v1 keys", keys, []string{"dir/a.bin", "dir/c.txt"})
		eqList(t, "v1 prefixes", l1.CommonPrefixes, []string{"dir/sub/"})

		l2, err := b.ListObjectsV2(oss.Prefix("dir/"), oss.Delimiter("/"), oss.MaxKeys(1))
		if err != nil {
			t.Fatal(err)
		}
		if !l2.IsTruncated || len(l2.Objects) != 1 || l2.Objects[0].Key != "dir/a.bin" {
			t.Fatalf("v2 page 1: %+v", l2)
		}
		l2, err = b.ListObjectsV2(oss.Prefix("dir/"), oss.Delimiter("/"), oss.ContinuationToken(l2.NextContinuationToken))
		if err != nil {
			t.Fatal(err)
		}
		keys = nil
		for _, o := range l2.Objects {
			keys = append(keys, o.Key)
		}
		eqList(t, "v2 page 2 keys", keys, []string{"dir/c.txt"})
		eqList(t, "v2 page 2 prefixes", l2.CommonPrefixes, []string{"dir/sub/"})

		if err := b.DeleteObject("top.txt"); err != nil {
			t.Fatal(err)
		}
		if ok, err := b.IsObjectExist("top.txt"); err != nil || ok {
			t.Fatalf("after delete: exists=%v err=%v", ok, err)
		}
		// Deleting a missing key is not an error (204).
		if err := b.DeleteObject("top.txt"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestV1Multipart20MiB(t *testing.T) {
	eachSig(t, func(t *testing.T, sig string) {
		c := newV1Client(t, sig)
		b := v1Bucket(t, c, "mpu")
		data := randomBytes(t, 20*mib)
		imur, err := b.InitiateMultipartUpload("big.bin")
		if err != nil {
			t.Fatal(err)
		}
		const partSize = 5 * mib
		var parts []oss.UploadPart
		for i := 0; i*partSize < len(data); i++ {
			chunk := data[i*partSize : min((i+1)*partSize, len(data))]
			p, err := b.UploadPart(imur, bytes.NewReader(chunk), int64(len(chunk)), i+1)
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, p)
		}
		lp, err := b.ListUploadedParts(imur)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "listed parts", len(lp.UploadedParts), 4)
		if _, err := b.CompleteMultipartUpload(imur, parts); err != nil {
			t.Fatal(err)
		}
		h, err := b.GetObjectDetailedMeta("big.bin")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "size", h.Get("Content-Length"), strconv.Itoa(20*mib))
		eq(t, "object type", h.Get("X-Oss-Object-Type"), "Multipart")
		rc, err := b.GetObject("big.bin")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		eq(t, "content md5", md5hex(got), md5hex(data))

		// An aborted upload is gone.
		imur2, err := b.InitiateMultipartUpload("aborted.bin")
		if err != nil {
			t.Fatal(err)
		}
		if err := b.AbortMultipartUpload(imur2); err != nil {
			t.Fatal(err)
		}
		_, err = b.ListUploadedParts(imur2)
		v1ServiceError(t, err, 404, "NoSuchUpload")
	})
}

func TestV1Presign(t *testing.T) {
	for _, sig := range sigVersions {
		t.Run(sig, func(t *testing.T) { v1Presign(t, sig) })
	}
}

// v1Presign signs URLs with a client of the given version (query signatures; V4 URLs carry
// x-oss-date); the bucket is made with a V1 client.
func v1Presign(t *testing.T, sig string) {
	{
		b0 := v1Bucket(t, newV1Client(t, "v1"), "pre")
		c := newV1Client(t, sig)
		b, err := c.Bucket(b0.BucketName)
		if err != nil {
			t.Fatal(err)
		}
		data := randomBytes(t, 4096)

		putURL, err := b.SignURL("signed.bin", oss.HTTPPut, 300)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(putURL, endpoint+"/"+b.BucketName+"/signed.bin?") {
			t.Fatalf("presigned URL is not path style on the loopback endpoint: %s", putURL)
		}
		if sig == "v4" && !strings.Contains(putURL, "x-oss-signature-version=OSS4-HMAC-SHA256") {
			t.Fatalf("want a V4 presigned URL: %s", putURL)
		}
		st, _, body := rawDo(t, "PUT", putURL, nil, data)
		eq(t, "presigned PUT status "+string(body), st, 200)

		getURL, err := b.SignURL("signed.bin", oss.HTTPGet, 300)
		if err != nil {
			t.Fatal(err)
		}
		st, _, got := rawDo(t, "GET", getURL, nil, nil)
		eq(t, "presigned GET status", st, 200)
		eq(t, "presigned GET body", md5hex(got), md5hex(data))
		rc, err := b.GetObjectWithURL(getURL)
		if err != nil {
			t.Fatal(err)
		}
		got, _ = io.ReadAll(rc)
		rc.Close()
		eq(t, "GetObjectWithURL", md5hex(got), md5hex(data))

		// A tampered URL is refused with SignatureDoesNotMatch.
		bad := strings.Replace(getURL, "signed.bin", "signed.bin2", 1)
		_, err = b.GetObjectWithURL(bad)
		v1ServiceError(t, err, 403, "SignatureDoesNotMatch")
	}
}

func TestV1Errors(t *testing.T) {
	eachSig(t, func(t *testing.T, sig string) {
		c := newV1Client(t, sig)
		b := v1Bucket(t, c, "err")
		var h http.Header
		_, err := b.GetObject("nope", oss.GetResponseHeader(&h))
		se := v1ServiceError(t, err, 404, "NoSuchKey")
		eq(t, "message", se.Message, msgNoSuchKey)
		eq(t, "EC", se.Ec, ecNoSuchKey)
		requestIDOK(t, se.RequestID, h)
		eq(t, "x-oss-ec header", h.Get("x-oss-ec"), ecNoSuchKey)

		other, err := c.Bucket(uniqueBucket("none"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = other.GetObject("k")
		se = v1ServiceError(t, err, 404, "NoSuchBucket")
		eq(t, "EC", se.Ec, ecNoSuchBucket)

		wrong, err := oss.New(endpoint, accessKey, secretKey+"x", oss.HTTPClient(httpClient), oss.ForcePathStyle(true))
		if err != nil {
			t.Fatal(err)
		}
		wb, _ := wrong.Bucket(b.BucketName)
		err = wb.PutObject("k", strings.NewReader("x"))
		v1ServiceError(t, err, 403, "SignatureDoesNotMatch")
		unknown, err := oss.New(endpoint, "LTAINOSUCHKEY0000", secretKey, oss.HTTPClient(httpClient), oss.ForcePathStyle(true))
		if err != nil {
			t.Fatal(err)
		}
		ub, _ := unknown.Bucket(b.BucketName)
		_, err = ub.GetObject("k")
		v1ServiceError(t, err, 403, "InvalidAccessKeyId")
	})
}
