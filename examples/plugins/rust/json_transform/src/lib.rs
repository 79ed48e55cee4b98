//! `json_transform`: JSON object in, the same object out with every string value upper-cased
//! (recursively, through nested objects and arrays; keys are unchanged) and a field
//! `"transformed": true` added at the top level. Output keys are sorted.
//!
//! ```sh
//! nanoproc call json_transform.wasm json_transform --input '{"name":"ada","tags":["x"],"n":1}'
//! # {"n":1,"name":"ADA","tags":["X"],"transformed":true}
//! ```
//!
//! Input that is not a JSON object fails the call
//! (`json_transform: invalid JSON input: ...`).

use nanoproc_pdk::Result;
use serde_json::{Map, Value};

fn upper_case(value: &mut Value) {
    match value {
        Value::String(s) => *s = s.to_uppercase(),
        Value::Array(items) => items.iter_mut().for_each(upper_case),
        Value::Object(fields) => fields.values_mut().for_each(upper_case),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn json_transform(mut object: Map<String, Value>) -> Result<Map<String, Value>> {
    object.values_mut().for_each(upper_case);
    object.insert("transformed".to_string(), Value::Bool(true));
    Ok(object)
}

nanoproc_pdk::export_json!(json_transform);
