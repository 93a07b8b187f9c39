-- wrk script: a CORS preflight (OPTIONS) that matches only the tenth CORS rule of the bench bucket.
-- The same request goes to ossd, to the minimal hyper server and to nginx `return 200`.
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "https://www.bench.example"
wrk.headers["Access-Control-Request-Method"] = "PUT"
wrk.headers["Access-Control-Request-Headers"] = "content-type, x-oss-meta-bench"
