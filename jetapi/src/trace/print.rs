//! Canonical printing: two-space indent, one step per line, keys in the contract's order
//! (`trace`, `name`, `about`, `steps`, `profile`, `source`; in a step `call`, `args`, `expect`,
//! `returns`, `note`, `beyond_model`), `", "` and `": "` inside a line. `parse(print(t)) == t`.

use serde_json::Value;

use super::{Expect, Step, TRACE_FORMAT_VERSION, Trace};

/// The canonical text of `trace`, ending with a newline.
pub fn print_trace(trace: &Trace) -> String {
    let mut out = String::new();
    out.push_str("{\n");
    out.push_str(&format!("  \"trace\": {TRACE_FORMAT_VERSION},\n"));
    out.push_str(&format!("  \"name\": {},\n", quote(&trace.name)));
    out.push_str(&format!("  \"about\": {},\n", quote(&trace.about)));
    out.push_str("  \"steps\": [");
    for (i, step) in trace.steps.iter().enumerate() {
        out.push_str(if i == 0 { "\n    " } else { ",\n    " });
        inline(&step_json(step), &mut out);
    }
    out.push_str(if trace.steps.is_empty() { "]" } else { "\n  ]" });
    if let Some(profile) = trace.profile {
        out.push_str(&format!(",\n  \"profile\": {}", quote(profile.name())));
    }
    if let Some(source) = &trace.source {
        out.push_str(&format!(",\n  \"source\": {}", quote(source)));
    }
    out.push_str("\n}\n");
    out
}

/// A step as a JSON object with its keys in canonical order.
pub(crate) fn step_json(step: &Step) -> Value {
    let mut map = serde_json::Map::new();
    map.insert("call".into(), Value::String(step.call.name().into()));
    let args = step.call.args_json();
    if !args.is_empty() {
        map.insert(
            "args".into(),
            Value::Object(args.into_iter().map(|(k, v)| (k.into(), v)).collect()),
        );
    }
    match &step.expect {
        Expect::Default => {}
        Expect::Ok => {
            map.insert("expect".into(), Value::String("ok".into()));
        }
        Expect::Codes(codes) if codes.len() == 1 => {
            map.insert("expect".into(), Value::String(codes[0].name().into()));
        }
        Expect::Codes(codes) => {
            let names = codes
                .iter()
                .map(|c| Value::String(c.name().into()))
                .collect();
            map.insert("expect".into(), Value::Array(names));
        }
    }
    if let Some(returns) = &step.returns {
        let value = serde_json::to_value(returns).expect("Returns serializes to JSON");
        map.insert("returns".into(), value);
    }
    if let Some(note) = &step.note {
        map.insert("note".into(), Value::String(note.clone()));
    }
    if let Some(why) = &step.beyond_model {
        map.insert("beyond_model".into(), Value::String(why.clone()));
    }
    Value::Object(map)
}

fn quote(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

/// One-line JSON with `", "` between items and `": "` after keys.
fn inline(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                inline(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quote(key));
                out.push_str(": ");
                inline(item, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
