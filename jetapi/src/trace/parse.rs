//! Reading a trace file's structure, keeping the line of every step so that each error names
//! one. Meaning (handles, paths, pairs) is checked afterwards by `validate`.

use std::fmt;

use serde::Deserializer;
use serde::de::{MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{Expect, Profile, Returns, Step, TRACE_FORMAT_VERSION, Trace, TraceError};
use crate::args::kind_of;
use crate::calls::{Call, ReturnKey};
use crate::errors::JetErr;

/// Where each step starts in the text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceMap {
    step_lines: Vec<usize>,
}

impl SourceMap {
    /// The 1-based line of step `index` (0-based), or 1 when unknown.
    pub fn step_line(&self, index: usize) -> usize {
        self.step_lines.get(index).copied().unwrap_or(1)
    }
}

/// An object's entries in text order, each value still raw so its position is known.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for EntriesVisitor<'a> {
            type Value = Entries<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut entries: Vec<(String, &'a RawValue)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, &'a RawValue>()? {
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom(format!(
                            "key {key:?} appears twice"
                        )));
                    }
                    entries.push((key, value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(std::marker::PhantomData))
    }
}

struct Reader<'a> {
    text: &'a str,
}

impl<'a> Reader<'a> {
    fn line_of(&self, raw: &RawValue) -> usize {
        let offset = (raw.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        let offset = offset.min(self.text.len());
        self.text.as_bytes()[..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn object(
        &self,
        raw: &'a RawValue,
        what: &str,
    ) -> Result<Vec<(String, &'a RawValue)>, TraceError> {
        let line = self.line_of(raw);
        if !raw.get().starts_with('{') {
            let value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
            return Err(TraceError::at(
                line,
                format!("{what} must be an object, found {}", kind_of(&value)),
            ));
        }
        serde_json::from_str::<Entries<'a>>(raw.get())
            .map(|e| e.0)
            .map_err(|e| {
                TraceError::at(
                    line + e.line().saturating_sub(1),
                    format!("{what}: {}", json_message(&e)),
                )
            })
    }

    fn value(&self, raw: &RawValue) -> Value {
        serde_json::from_str(raw.get()).expect("a RawValue is valid JSON")
    }
}

/// Reads a trace's structure. The error names the line and what is wrong.
pub fn parse_trace(text: &str) -> Result<(Trace, SourceMap), TraceError> {
    let top: Entries<'_> = serde_json::from_str(text).map_err(|e| {
        let reason = if e.is_data() {
            format!("not a trace: {}", json_message(&e))
        } else {
            format!("not valid JSON: {}", json_message(&e))
        };
        TraceError::at(e.line().max(1), reason)
    })?;
    let reader = Reader { text };
    let mut version = None;
    let (mut name, mut about, mut steps_raw, mut profile, mut source) =
        (None, None, None, None, None);
    for (key, raw) in top.0 {
        let line = reader.line_of(raw);
        let value = || reader.value(raw);
        let string = |what: &str| match value() {
            Value::String(s) => Ok(s),
            other => Err(TraceError::at(
                line,
                format!("{what} must be a string, found {}", kind_of(&other)),
            )),
        };
        match key.as_str() {
            "trace" => version = Some((value(), line)),
            "name" => name = Some((string("name")?, line)),
            "about" => about = Some((string("about")?, line)),
            "steps" => steps_raw = Some(raw),
            "profile" => {
                let p = string("profile")?;
                profile = Some(Profile::from_name(&p).ok_or_else(|| {
                    TraceError::at(
                        line,
                        format!("profile {p:?} is neither \"esent\" nor \"documented\""),
                    )
                })?);
            }
            "source" => source = Some(string("source")?),
            other => {
                return Err(TraceError::at(
                    line,
                    format!(
                        "unknown top-level key {other:?} (a trace has trace, name, about, steps, profile, source)"
                    ),
                ));
            }
        }
    }
    match version {
        None => {
            return Err(TraceError::at(
                1,
                "missing \"trace\": 1 (the format version)",
            ));
        }
        Some((Value::Number(n), _)) if n.as_u64() == Some(TRACE_FORMAT_VERSION) => {}
        Some((v, line)) => {
            return Err(TraceError::at(
                line,
                format!("unsupported trace format version {v}; this jetspec reads version 1"),
            ));
        }
    }
    let (name, name_line) = name.ok_or_else(|| TraceError::at(1, "missing \"name\""))?;
    if !is_snake_case(&name) {
        return Err(TraceError::at(
            name_line,
            format!("name {name:?} is not snake_case (a-z, 0-9 and single underscores)"),
        ));
    }
    let (about, about_line) = about.ok_or_else(|| TraceError::at(1, "missing \"about\""))?;
    if about.trim().is_empty() {
        return Err(TraceError::at(
            about_line,
            "about is empty; say in a sentence what the trace shows",
        ));
    }
    let steps_raw = steps_raw.ok_or_else(|| TraceError::at(1, "missing \"steps\""))?;
    let steps_line = reader.line_of(steps_raw);
    let items: Vec<&RawValue> = serde_json::from_str(steps_raw.get())
        .map_err(|_| TraceError::at(steps_line, "steps must be a list of step objects"))?;
    if items.is_empty() {
        return Err(TraceError::at(steps_line, "steps is empty"));
    }
    let mut steps = Vec::with_capacity(items.len());
    let mut map = SourceMap::default();
    for (index, raw) in items.into_iter().enumerate() {
        let line = reader.line_of(raw);
        map.step_lines.push(line);
        let step = read_step(&reader, raw)
            .map_err(|e| TraceError::at(e.line, format!("step {}: {}", index + 1, e.reason)))?;
        steps.push(step);
    }
    Ok((
        Trace {
            name,
            about,
            steps,
            profile,
            source,
        },
        map,
    ))
}

fn read_step<'a>(reader: &Reader<'a>, raw: &'a RawValue) -> Result<Step, TraceError> {
    let line = reader.line_of(raw);
    let at = |reason: String| TraceError::at(line, reason);
    let entries = reader.object(raw, "a step")?;
    let (mut name, mut args, mut expect, mut returns, mut note, mut beyond_model) =
        (None, Vec::new(), None, None, None, None);
    for (key, value_raw) in &entries {
        let value = reader.value(value_raw);
        match key.as_str() {
            "call" => match value {
                Value::String(s) => name = Some(s),
                other => {
                    return Err(at(format!(
                        "call must be a string, found {}",
                        kind_of(&other)
                    )));
                }
            },
            "args" => {
                args = reader
                    .object(value_raw, "args")?
                    .into_iter()
                    .map(|(k, v)| (k, reader.value(v)))
                    .collect();
            }
            "expect" => expect = Some(value),
            "returns" => returns = Some(value),
            "note" => match value {
                Value::String(s) => note = Some(s),
                other => {
                    return Err(at(format!(
                        "note must be a string, found {}",
                        kind_of(&other)
                    )));
                }
            },
            "beyond_model" => match value {
                Value::String(s) if !s.trim().is_empty() => beyond_model = Some(s),
                other => {
                    let found = match &other {
                        Value::String(_) => "an empty string".to_string(),
                        other => kind_of(other).to_string(),
                    };
                    return Err(at(format!(
                        "beyond_model must say why the model does not say this step, found \
                         {found}"
                    )));
                }
            },
            other => {
                return Err(at(format!(
                    "unknown step key {other:?} (a step has call, args, expect, returns, note, \
                     beyond_model)"
                )));
            }
        }
    }
    let name = name.ok_or_else(|| at("missing \"call\"".into()))?;
    let call = Call::from_args(&name, &args).map_err(&at)?;
    let expect = match expect {
        None => Expect::Default,
        Some(value) => read_expect(&value, call.spec().is_harness()).map_err(&at)?,
    };
    let returns = returns
        .map(|value| read_returns(&call, &value))
        .transpose()
        .map_err(&at)?;
    Ok(Step {
        call,
        expect,
        returns,
        note,
        beyond_model,
    })
}

fn read_expect(value: &Value, harness: bool) -> Result<Expect, String> {
    let code = |v: &Value| -> Result<JetErr, String> {
        let Value::String(name) = v else {
            return Err(format!("expect holds {}, not a code name", kind_of(v)));
        };
        JetErr::from_name(name)
            .ok_or_else(|| format!("unknown result code {name:?} (jetspec errors lists the codes)"))
    };
    match value {
        Value::String(s) if s == "ok" && harness => Ok(Expect::Ok),
        Value::String(s) if s == "ok" => {
            Err("\"ok\" is for harness actions; a Jet call expects a JET_err/JET_wrn name".into())
        }
        Value::String(_) => Ok(Expect::Codes(vec![code(value)?])),
        Value::Array(items) if items.is_empty() => Err("expect is an empty list".into()),
        Value::Array(items) => items
            .iter()
            .map(code)
            .collect::<Result<_, _>>()
            .map(Expect::Codes),
        other => Err(format!(
            "expect must be a code name or a list of them, found {}",
            kind_of(other)
        )),
    }
}

fn read_returns(call: &Call, value: &Value) -> Result<Returns, String> {
    let spec = call.spec();
    let Value::Object(map) = value else {
        return Err(format!(
            "returns must be an object, found {}",
            kind_of(value)
        ));
    };
    for key in map.keys() {
        if !spec.returns.iter().any(|r| r.key() == key) {
            let allowed: Vec<_> = spec.returns.iter().map(|r: &ReturnKey| r.key()).collect();
            return Err(if allowed.is_empty() {
                format!(
                    "{} returns nothing to compare, but returns has {key:?}",
                    spec.name
                )
            } else {
                format!(
                    "{} cannot return {key:?}; returns may hold {}",
                    spec.name,
                    allowed.join(", ")
                )
            });
        }
    }
    serde_json::from_value(value.clone()).map_err(|e| format!("returns: {e}"))
}

/// serde_json's message without its " at line L column C" tail: our errors carry the line.
fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// `a-z0-9` words joined by single underscores, starting with a letter or digit.
fn is_snake_case(name: &str) -> bool {
    !name.is_empty()
        && name.split('_').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names() {
        assert!(is_snake_case("end_backup_without_begin"));
        assert!(is_snake_case("a1"));
        assert!(!is_snake_case("EndBackup"));
        assert!(!is_snake_case("double__underscore"));
        assert!(!is_snake_case("_leading"));
        assert!(!is_snake_case(""));
    }

    #[test]
    fn a_duplicate_key_is_refused() {
        let text = "{\"trace\": 1, \"trace\": 1}";
        let err = parse_trace(text).unwrap_err();
        assert!(err.reason.contains("appears twice"), "{err}");
    }
}
