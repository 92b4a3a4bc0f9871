//! Every JSON answer the integration tests receive is checked against
//! `www/openapi.json` (the schema of that operation and status), so a field
//! added, renamed or retyped without the document fails the test that saw it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};

const DOCUMENT: &str = include_str!("../../www/openapi.json");

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(DOCUMENT).expect("www/openapi.json is not JSON"))
}

/// Compiled validators by the document location of their schema.
fn validators() -> &'static Mutex<HashMap<String, Arc<jsonschema::Validator>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The documented path template matching `path` (more literal segments win,
/// as the router's order does: `/consents/qr/{type}/{id}` before `/consents/{id}`).
fn template_of(path: &str) -> Option<&'static str> {
    let segs: Vec<&str> = path.split('/').collect();
    let mut best: Option<(&'static str, usize)> = None;
    for template in document()["paths"].as_object()?.keys() {
        let pat: Vec<&str> = template.split('/').collect();
        if pat.len() != segs.len() {
            continue;
        }
        let mut literal = 0;
        let fits = pat.iter().zip(&segs).all(|(p, s)| {
            if p.starts_with('{') {
                !s.is_empty()
            } else {
                literal += 1;
                p == s
            }
        });
        if fits && best.is_none_or(|(_, l)| literal > l) {
            best = Some((template.as_str(), literal));
        }
    }
    best.map(|(t, _)| t)
}

/// Follows a local `$ref` (`#/components/...`) once.
fn deref(v: &'static Value) -> &'static Value {
    match v["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => document().pointer(pointer).unwrap_or(&Value::Null),
        None => v,
    }
}

/// The schema a JSON answer must match, and what it is called in messages;
/// `Err` when the document does not allow a JSON answer here at all.
fn expected(method: &str, path: &str, status: u16) -> Result<(String, &'static Value), String> {
    let error_schema = &document()["components"]["schemas"]["Error"];
    let Some(template) = template_of(path) else {
        if status < 400 {
            // A static asset (`/openapi.json`, `/docs/...`), not an API operation.
            return Err(String::new());
        }
        return Ok(("unknown path (error)".into(), error_schema));
    };
    let method = method.to_ascii_lowercase();
    let Some(operation) = document()["paths"][template].get(&method) else {
        return Ok((
            format!("{template}: method not allowed (405 error)"),
            error_schema,
        ));
    };
    let name = format!(
        "{} ({} {template})",
        operation["operationId"].as_str().unwrap_or("?"),
        method.to_uppercase()
    );
    let Some(response) = operation["responses"].get(status.to_string()) else {
        return Err(format!("{name}: status {status} is not documented"));
    };
    match deref(response)["content"].get("application/json") {
        Some(media) => Ok((format!("{name} {status}"), &media["schema"])),
        None => Err(format!(
            "{name}: status {status} answered JSON but the document says otherwise"
        )),
    }
}

fn validator(key: &str, schema: &Value) -> Arc<jsonschema::Validator> {
    let mut cache = validators().lock().unwrap();
    if let Some(v) = cache.get(key) {
        return v.clone();
    }
    // The components ride along so `#/components/schemas/...` resolves
    // against this root.
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document()["components"],
        "allOf": [schema],
    });
    let compiled = jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("www/openapi.json: schema for {key} does not compile: {e}"));
    let compiled = Arc::new(compiled);
    cache.insert(key.to_owned(), compiled.clone());
    compiled
}

/// Panics, naming the operation, status and every violation, when a JSON
/// answer does not match the document. Non-JSON answers (QR images, HTML
/// pages, wrangler's own proxy errors) are not the document's concern.
pub fn check_response(
    method: &str,
    path_and_query: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) {
    let is_json = content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !is_json || body.is_empty() || method.eq_ignore_ascii_case("HEAD") {
        return;
    }
    let path = path_and_query.split(['?', '#']).next().unwrap_or_default();
    let text = String::from_utf8_lossy(body);
    let (name, schema) = match expected(method, path, status) {
        Ok(found) => found,
        Err(why) if why.is_empty() => return,
        Err(why) => panic!("OpenAPI mismatch: {method} {path}: {why}; body: {text}"),
    };
    let instance: Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("OpenAPI mismatch: {name}: the body is not JSON ({e}): {text}"));
    let errors: Vec<String> = validator(&name, schema)
        .iter_errors(&instance)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "OpenAPI mismatch: {method} {path} -> {name}: the answer does not match www/openapi.json:\n  {}\nbody: {text}",
        errors.join("\n  ")
    );
}

#[cfg(test)]
mod tests {
    use super::check_response;
    use std::panic::catch_unwind;

    const JSON: Option<&str> = Some("application/json");

    fn fails(method: &str, path: &str, status: u16, body: &[u8]) -> bool {
        let body = body.to_vec();
        let (method, path) = (method.to_owned(), path.to_owned());
        catch_unwind(move || check_response(&method, &path, status, JSON, &body)).is_err()
    }

    #[test]
    fn answers_that_do_not_match_the_document_fail() {
        check_response("GET", "/health", 200, JSON, br#"{"status":"ok"}"#);
        assert!(
            fails("GET", "/health", 200, br#"{"status":"ok","extra":1}"#),
            "unknown member"
        );
        assert!(
            fails("GET", "/health", 200, br#"{"state":"ok"}"#),
            "renamed member"
        );
        assert!(
            fails("GET", "/health", 418, br#"{"status":"ok"}"#),
            "undocumented status"
        );
        let not_found = br#"{"error":{"code":"not_found","message":"No such resource."}}"#;
        check_response("GET", "/nope", 404, JSON, not_found);
        check_response(
            "DELETE",
            "/health",
            405,
            JSON,
            br#"{"error":{"code":"method_not_allowed","message":"m"}}"#,
        );
        assert!(
            fails(
                "GET",
                "/nope",
                404,
                br#"{"error":{"code":"gone","message":"m"}}"#
            ),
            "code outside the enum"
        );
        // The QR route wins over `/consents/{id}` shapes and answers images, never JSON.
        assert!(fails(
            "GET",
            "/consents/qr/svg/cons_0123456789abcdef",
            200,
            b"{}"
        ));
        // Non-JSON answers are not checked.
        check_response(
            "GET",
            "/a/cons_x",
            200,
            Some("text/html"),
            b"<!doctype html>",
        );
        // Formats are checked: a timestamp that is not RFC 3339.
        let enrollment = |created: &str| {
            format!(
                r#"{{"id":"enr_0123456789abcdef","object":"enrollment","status":"pending","mobile":"+2348031234567","livemode":false,"attemptsRemaining":5,"createdAt":"{created}","expiresAt":"2026-05-01T10:10:00.000Z"}}"#
            )
        };
        check_response(
            "GET",
            "/enrollments/enr_0123456789abcdef",
            200,
            JSON,
            enrollment("2026-05-01T10:00:00.000Z").as_bytes(),
        );
        assert!(fails(
            "GET",
            "/enrollments/enr_0123456789abcdef",
            200,
            enrollment("yesterday").as_bytes()
        ));
    }
}
