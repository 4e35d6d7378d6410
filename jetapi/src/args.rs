//! The value types a call's arguments take in a trace, and how each reads from and prints to
//! JSON. Every argument of every call is one of these; [`ArgValue`] is the one interface the
//! call vocabulary, the trace parser and the printer use.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::grbits::Grbit;
use crate::params::{sys_param_by_id, sys_param_by_name};

/// An argument value: read from a trace's JSON, printed back canonically.
pub trait ArgValue: fmt::Debug {
    /// Reads the value; the error says what was expected.
    fn from_json(value: &Value) -> Result<Self, String>
    where
        Self: Sized;
    /// Prints the value.
    fn to_json(&self) -> Value;
    /// The handle, when this value is one.
    fn as_handle(&self) -> Option<&HandleRef> {
        None
    }
    /// The grbit, when this value is one.
    fn as_grbit(&self) -> Option<&Grbit> {
        None
    }
    /// Every file-system path this value names.
    fn paths(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// A handle argument: a symbolic `@name` bound by an earlier call, or a raw number for testing
/// invalid handles (`0`, `-1` for `JET_instanceNil`, a made-up value).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HandleRef {
    /// `@name`: letters, digits and `_` after the `@`.
    Name(String),
    /// A raw value, passed as is.
    Raw(i64),
}

impl HandleRef {
    fn is_valid_name(name: &str) -> bool {
        name.strip_prefix('@').is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    }
}

impl fmt::Display for HandleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandleRef::Name(name) => f.write_str(name),
            HandleRef::Raw(raw) => write!(f, "{raw}"),
        }
    }
}

impl ArgValue for HandleRef {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(s) if HandleRef::is_valid_name(s) => Ok(HandleRef::Name(s.clone())),
            Value::String(s) => Err(format!(
                "handle {s:?} is not a symbolic name (@ followed by letters, digits or _)"
            )),
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_u64().map(|u| u as i64))
                .map(HandleRef::Raw)
                .ok_or_else(|| format!("handle {n} is not a whole number")),
            other => Err(format!(
                "expected a handle (@name or a number), found {}",
                kind_of(other)
            )),
        }
    }
    fn to_json(&self) -> Value {
        match self {
            HandleRef::Name(name) => Value::String(name.clone()),
            HandleRef::Raw(raw) => Value::from(*raw),
        }
    }
    fn as_handle(&self) -> Option<&HandleRef> {
        Some(self)
    }
}

impl Serialize for HandleRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for HandleRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        HandleRef::from_json(&value).map_err(serde::de::Error::custom)
    }
}

/// A path argument (a file or, ending in `/`, a directory), relative to the replay sandbox.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathArg(pub String);

impl ArgValue for PathArg {
    fn from_json(value: &Value) -> Result<Self, String> {
        String::from_json(value).map(PathArg)
    }
    fn to_json(&self) -> Value {
        Value::String(self.0.clone())
    }
    fn paths(&self) -> Vec<&str> {
        vec![self.0.as_str()]
    }
}

impl ArgValue for String {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            other => Err(format!("expected a string, found {}", kind_of(other))),
        }
    }
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ArgValue for i64 {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| format!("{n} is not a whole number in range")),
            other => Err(format!("expected a number, found {}", kind_of(other))),
        }
    }
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl ArgValue for bool {
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_bool()
            .ok_or_else(|| format!("expected true or false, found {}", kind_of(value)))
    }
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl ArgValue for Grbit {
    fn from_json(value: &Value) -> Result<Self, String> {
        let name = |v: &Value| match v {
            Value::String(s) if s.starts_with("JET_bit") => Ok(s.clone()),
            Value::String(s) => Err(format!("grbit name {s:?} does not start with JET_bit")),
            other => Err(format!("expected a JET_bit name, found {}", kind_of(other))),
        };
        match value {
            Value::Number(n) => n
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .map(Grbit::Bits)
                .ok_or_else(|| format!("grbit {n} is not a 32-bit unsigned number")),
            Value::String(_) => Ok(Grbit::Names(vec![name(value)?])),
            Value::Array(items) => items
                .iter()
                .map(name)
                .collect::<Result<_, _>>()
                .map(Grbit::Names),
            other => Err(format!(
                "expected a grbit (a number, a JET_bit name or a list of names), found {}",
                kind_of(other)
            )),
        }
    }
    fn to_json(&self) -> Value {
        match self {
            Grbit::Bits(bits) => Value::from(*bits),
            Grbit::Names(names) if names.len() == 1 => Value::String(names[0].clone()),
            Grbit::Names(names) => Value::Array(names.iter().cloned().map(Value::String).collect()),
        }
    }
    fn as_grbit(&self) -> Option<&Grbit> {
        Some(self)
    }
}

/// A system parameter id: a `JET_param*` name, or a raw number (for unknown ids).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ParamRef {
    /// A name from [`crate::params::SYS_PARAMS`].
    Name(String),
    /// A raw id.
    Id(u32),
}

impl ParamRef {
    /// The numeric id, when known.
    pub fn id(&self) -> Option<u32> {
        match self {
            ParamRef::Name(name) => sys_param_by_name(name).map(|p| p.id),
            ParamRef::Id(id) => Some(*id),
        }
    }
}

impl ArgValue for ParamRef {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(s) if sys_param_by_name(s).is_some() => Ok(ParamRef::Name(s.clone())),
            Value::String(s) => Err(format!(
                "unknown system parameter {s}; give its id as a number to pass it anyway"
            )),
            Value::Number(n) => n
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .map(ParamRef::Id)
                .ok_or_else(|| format!("parameter id {n} is not a 32-bit unsigned number")),
            other => Err(format!(
                "expected a JET_param name or id, found {}",
                kind_of(other)
            )),
        }
    }
    fn to_json(&self) -> Value {
        match self {
            ParamRef::Name(name) => Value::String(name.clone()),
            ParamRef::Id(id) => Value::from(*id),
        }
    }
}

/// A system parameter value: a number (`lParam`) or a string (`szParam`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// `lParam`.
    Number(i64),
    /// `szParam`.
    Text(String),
}

impl ArgValue for ParamValue {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(s) => Ok(ParamValue::Text(s.clone())),
            Value::Number(_) => i64::from_json(value).map(ParamValue::Number),
            Value::Bool(b) => Ok(ParamValue::Number(i64::from(*b))),
            other => Err(format!(
                "expected a number or a string, found {}",
                kind_of(other)
            )),
        }
    }
    fn to_json(&self) -> Value {
        match self {
            ParamValue::Number(n) => Value::from(*n),
            ParamValue::Text(s) => Value::String(s.clone()),
        }
    }
    fn paths(&self) -> Vec<&str> {
        match self {
            ParamValue::Text(s) => vec![s.as_str()],
            ParamValue::Number(_) => Vec::new(),
        }
    }
}

/// Reads a JSON object into `T` with serde, naming unknown keys in the error.
fn from_object<T: for<'de> Deserialize<'de>>(value: &Value, what: &str) -> Result<T, String> {
    T::deserialize(value).map_err(|e| format!("{what}: {e}"))
}

fn to_object<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("argument structs serialize to JSON")
}

/// One entry of a restore map (`JET_RSTMAP`): where a database named in the logs now lives.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreMapEntry {
    /// `szDatabaseName`: the name recorded in the logs; left out is NULL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    /// `szNewDatabaseName`: where the restored file is; left out is NULL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_database_name: Option<String>,
}

/// A restore map (`rgrstmap` with its count).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RestoreMap(pub Vec<RestoreMapEntry>);

impl ArgValue for RestoreMap {
    fn from_json(value: &Value) -> Result<Self, String> {
        from_object(
            value,
            "restore_map must be a list of {database_name, new_database_name}",
        )
        .map(RestoreMap)
    }
    fn to_json(&self) -> Value {
        to_object(&self.0)
    }
    fn paths(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter_map(|e| e.new_database_name.as_deref())
            .collect()
    }
}

/// `JET_LOGINFO`: a log range and the log base name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogInfo {
    /// `ulGenLow`.
    pub gen_low: i64,
    /// `ulGenHigh`.
    pub gen_high: i64,
    /// `szBaseName`, three characters.
    pub base_name: String,
    /// `cbSize`; left out means the correct size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cb_size: Option<i64>,
}

impl ArgValue for LogInfo {
    fn from_json(value: &Value) -> Result<Self, String> {
        from_object(
            value,
            "log_info must be {gen_low, gen_high, base_name[, cb_size]}",
        )
    }
    fn to_json(&self) -> Value {
        to_object(self)
    }
}

/// `JET_RSTINFO` for JetInit3: the relocation map.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RstInfo {
    /// `rgrstmap`.
    #[serde(default)]
    pub restore_map: Vec<RestoreMapEntry>,
}

impl ArgValue for RstInfo {
    fn from_json(value: &Value) -> Result<Self, String> {
        from_object(value, "rst_info must be {restore_map}")
    }
    fn to_json(&self) -> Value {
        to_object(self)
    }
    fn paths(&self) -> Vec<&str> {
        self.restore_map
            .iter()
            .filter_map(|e| e.new_database_name.as_deref())
            .collect()
    }
}

/// One `JET_SETSYSPARAM` of JetEnableMultiInstance.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SysParamSetting {
    /// The parameter name.
    pub param: String,
    /// Its value.
    pub value: ParamValue,
}

/// The `psetsysparam` list of JetEnableMultiInstance.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SysParamList(pub Vec<SysParamSetting>);

impl ArgValue for SysParamList {
    fn from_json(value: &Value) -> Result<Self, String> {
        let list: Vec<SysParamSetting> =
            from_object(value, "set_sys_param must be a list of {param, value}")?;
        if let Some(bad) = list.iter().find(|s| sys_param_by_name(&s.param).is_none()) {
            return Err(format!(
                "unknown system parameter {} in set_sys_param",
                bad.param
            ));
        }
        Ok(SysParamList(list))
    }
    fn to_json(&self) -> Value {
        to_object(&self.0)
    }
}

/// One row of the harness's test table: a key and a value, both text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The primary key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// Rows for InsertRecords / VerifyRecords.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Records(pub Vec<Record>);

impl ArgValue for Records {
    fn from_json(value: &Value) -> Result<Self, String> {
        from_object(value, "records must be a list of {key, value}").map(Records)
    }
    fn to_json(&self) -> Value {
        to_object(&self.0)
    }
}

/// A word from a fixed list (InjectFault's `op` and `error`, Start's `pause_at`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Word(pub String);

impl ArgValue for Word {
    fn from_json(value: &Value) -> Result<Self, String> {
        String::from_json(value).map(Word)
    }
    fn to_json(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// Checks a parameter value against the parameter's type; unknown ids pass.
pub fn check_param_value(param: &ParamRef, value: &ParamValue) -> Result<(), String> {
    use crate::params::ParamType;
    let Some(spec) = param.id().and_then(sys_param_by_id) else {
        return Ok(());
    };
    match (spec.kind, value) {
        (ParamType::Integer | ParamType::Boolean, ParamValue::Number(_))
        | (ParamType::String | ParamType::Path, ParamValue::Text(_)) => Ok(()),
        (ParamType::Integer | ParamType::Boolean, ParamValue::Text(_)) => {
            Err(format!("{} takes a number, not a string", spec.name))
        }
        (ParamType::String | ParamType::Path, ParamValue::Number(_)) => {
            Err(format!("{} takes a string, not a number", spec.name))
        }
    }
}

/// A JSON value's kind, for error messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
