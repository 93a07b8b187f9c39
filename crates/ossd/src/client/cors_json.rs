//! ossutil's JSON form of a CORS configuration (`--cors-configuration`): the root element left
//! out, a repeated element as a scalar or an array, numbers and booleans as literals or strings.

use super::error::{CliError, Result};
use ossd_cors::CorsConfig;
use serde_json::{Map, Value};

fn scalar(v: &Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(CliError::Usage(format!("expected a string, number or boolean, got {other}"))),
    }
}

fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

fn push(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    ossd_proto::xml::escape_into(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Converts ossutil's JSON into the PutBucketCors XML body.
pub fn json_to_xml(text: &str) -> Result<String> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| CliError::Usage(format!("the CORS JSON does not parse: {e}")))?;
    let root = v.get("CORSConfiguration").unwrap_or(&v);
    let Value::Object(root) = root else {
        return Err(CliError::Usage("the CORS JSON must be an object with CORSRule".into()));
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><CORSConfiguration>");
    for (k, _) in root.iter() {
        if k != "CORSRule" && k != "ResponseVary" {
            return Err(CliError::Usage(format!("unknown key {k:?} in the CORS JSON")));
        }
    }
    for rule in root.get("CORSRule").map(items).unwrap_or_default() {
        let Value::Object(rule) = rule else {
            return Err(CliError::Usage("each CORSRule must be an object".into()));
        };
        out.push_str("<CORSRule>");
        for name in
            ["AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds"]
        {
            for v in rule.get(name).map(items).unwrap_or_default() {
                push(&mut out, name, &scalar(v)?);
            }
        }
        if let Some(k) = rule.keys().find(|k| {
            !["AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds"]
                .contains(&k.as_str())
        }) {
            return Err(CliError::Usage(format!("unknown key {k:?} in a CORSRule")));
        }
        out.push_str("</CORSRule>");
    }
    if let Some(v) = root.get("ResponseVary") {
        push(&mut out, "ResponseVary", &scalar(v)?);
    }
    out.push_str("</CORSConfiguration>");
    Ok(out)
}

/// A configuration as ossutil prints it in JSON: values as strings, single occurrences as scalars.
pub fn to_json(cfg: &CorsConfig) -> Value {
    let list = |v: &[String]| match v {
        [one] => Value::String(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::String).collect()),
    };
    let rules: Vec<Value> = cfg
        .rules()
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("AllowedOrigin".into(), list(&r.allowed_origins));
            m.insert("AllowedMethod".into(), list(&r.allowed_methods));
            if !r.allowed_headers.is_empty() {
                m.insert("AllowedHeader".into(), list(&r.allowed_headers));
            }
            if !r.expose_headers.is_empty() {
                m.insert("ExposeHeader".into(), list(&r.expose_headers));
            }
            if let Some(a) = r.max_age_seconds {
                m.insert("MaxAgeSeconds".into(), Value::String(a.to_string()));
            }
            Value::Object(m)
        })
        .collect();
    let rule = match <[Value; 1]>::try_from(rules) {
        Ok([one]) => one,
        Err(many) => Value::Array(many),
    };
    serde_json::json!({"CORSRule": rule, "ResponseVary": cfg.response_vary().to_string()})
}

/// Reads a configuration file: XML (starts with `<`) or ossutil's JSON; returns the XML body.
pub fn file_to_xml(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(CliError::io(format!("reading {}", path.display())))?;
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('<') { Ok(text) } else { json_to_xml(t) }
}

/// Parses and validates an XML body as the server would.
pub fn parse(xml: &str) -> Result<CorsConfig> {
    ossd_proto::cors_xml::parse_and_validate(xml.as_bytes())
        .map_err(|e| CliError::Usage(format!("invalid CORS configuration: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_forms_convert_to_the_same_rules() {
        let doc = r#"{"CORSRule":{"AllowedOrigin":["https://a.example"],"AllowedMethod":["PUT","GET"],"AllowedHeader":"*","MaxAgeSeconds":10000},"ResponseVary":"true"}"#;
        let cfg = parse(&json_to_xml(doc).expect("converts")).expect("valid");
        assert_eq!(cfg.rules().len(), 1);
        assert_eq!(cfg.rules()[0].allowed_methods, vec!["PUT", "GET"]);
        assert_eq!(cfg.rules()[0].max_age_seconds, Some(10000));
        assert!(cfg.response_vary());
        let again = to_json(&cfg);
        assert_eq!(again["CORSRule"]["AllowedHeader"], "*");
        assert_eq!(again["CORSRule"]["MaxAgeSeconds"], "10000");
        let back = parse(&json_to_xml(&again.to_string()).expect("converts")).expect("valid");
        assert_eq!(back, cfg);
        assert!(json_to_xml(r#"{"CORSRule":{"Nope":1}}"#).is_err());
    }
}
