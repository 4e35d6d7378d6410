//! `parse(print(t)) == t` over generated traces: every call of the vocabulary, every argument
//! kind, expectations, returns, notes, and text that needs escaping.

use jetapi::args::ArgValue;
use jetapi::calls::{CALL_SPECS, Call, CallSpec, LONG_CALLS, ParamKind, call_spec};
use jetapi::errors::CATALOGUE;
use jetapi::grbits::GRBITS;
use jetapi::params::SYS_PARAMS;
use jetapi::trace::{Expect, Profile, Returns, Step, Trace, parse_trace, print_trace};
use proptest::prelude::*;
use serde_json::{Value, json};

fn text() -> BoxedStrategy<String> {
    prop_oneof![".{0,10}", "[\"\\\\\n\t/]{0,3}", "\\PC{0,6}"].boxed()
}

fn path() -> BoxedStrategy<String> {
    "[a-z0-9./\\\\]{0,12}".boxed()
}

fn handle() -> BoxedStrategy<Value> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,5}".prop_map(|s| json!(format!("@{s}"))),
        any::<i64>().prop_map(Value::from)
    ]
    .boxed()
}

fn grbit() -> BoxedStrategy<Value> {
    let names = GRBITS.iter().map(|g| g.name).collect::<Vec<_>>();
    prop_oneof![
        any::<u32>().prop_map(Value::from),
        prop::sample::select(names.clone()).prop_map(Value::from),
        prop::collection::vec(prop::sample::select(names), 2..4).prop_map(|v| json!(v)),
    ]
    .boxed()
}

fn param_value() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::from)
    ]
    .boxed()
}

fn restore_map() -> BoxedStrategy<Value> {
    let entry = (prop::option::of(path()), prop::option::of(path())).prop_map(|(old, new)| {
        let mut map = serde_json::Map::new();
        if let Some(old) = old {
            map.insert("database_name".into(), json!(old));
        }
        if let Some(new) = new {
            map.insert("new_database_name".into(), json!(new));
        }
        Value::Object(map)
    });
    prop::collection::vec(entry, 0..3)
        .prop_map(Value::Array)
        .boxed()
}

fn value_of(kind: ParamKind) -> BoxedStrategy<Value> {
    let names = SYS_PARAMS.iter().map(|p| p.name).collect::<Vec<_>>();
    match kind {
        ParamKind::Handle(..) => handle(),
        ParamKind::Text => text().prop_map(Value::from).boxed(),
        ParamKind::Path(_) => path().prop_map(Value::from).boxed(),
        ParamKind::Int => any::<i64>().prop_map(Value::from).boxed(),
        ParamKind::Bool => any::<bool>().prop_map(Value::from).boxed(),
        ParamKind::Grbit(_) => grbit(),
        ParamKind::RawGrbit => any::<u32>().prop_map(Value::from).boxed(),
        ParamKind::Param => prop_oneof![
            prop::sample::select(names).prop_map(Value::from),
            any::<u32>().prop_map(Value::from)
        ]
        .boxed(),
        ParamKind::ParamValue => param_value(),
        ParamKind::RestoreMap => restore_map(),
        ParamKind::LogInfo => (
            any::<i64>(),
            any::<i64>(),
            "[a-z]{3}",
            prop::option::of(any::<i64>()),
        )
            .prop_map(|(low, high, base, cb)| {
                let mut v = json!({"gen_low": low, "gen_high": high, "base_name": base});
                if let Some(cb) = cb {
                    v["cb_size"] = json!(cb);
                }
                v
            })
            .boxed(),
        ParamKind::RstInfo => restore_map()
            .prop_map(|map| json!({"restore_map": map}))
            .boxed(),
        ParamKind::SysParamList => {
            prop::collection::vec((prop::sample::select(names), param_value()), 0..3)
                .prop_map(|v| {
                    json!(
                        v.into_iter()
                            .map(|(p, value)| json!({"param": p, "value": value}))
                            .collect::<Vec<_>>()
                    )
                })
                .boxed()
        }
        ParamKind::Records => prop::collection::vec((text(), text()), 0..3)
            .prop_map(|v| {
                json!(
                    v.into_iter()
                        .map(|(k, value)| json!({"key": k, "value": value}))
                        .collect::<Vec<_>>()
                )
            })
            .boxed(),
        ParamKind::Call => prop::sample::select(LONG_CALLS.to_vec())
            .prop_flat_map(|name| {
                args_of(call_spec(name).unwrap()).prop_map(move |args| (name, args))
            })
            .prop_map(|(name, args)| Box::new(Call::from_args(name, &args).unwrap()).to_json())
            .boxed(),
        ParamKind::Word(words) => prop::sample::select(words.to_vec())
            .prop_map(Value::from)
            .boxed(),
    }
}

fn args_of(spec: &'static CallSpec) -> BoxedStrategy<Vec<(String, Value)>> {
    let strategies: Vec<_> = spec
        .params
        .iter()
        .filter(|p| p.kind != ParamKind::Call)
        .map(|p| {
            prop::option::of(value_of(p.kind)).prop_map(move |v| v.map(|v| (p.name.to_string(), v)))
        })
        .collect();
    strategies
        .prop_map(|args| args.into_iter().flatten().collect())
        .boxed()
}

fn call() -> BoxedStrategy<Call> {
    prop::sample::select(CALL_SPECS.to_vec())
        .prop_flat_map(|spec| {
            let spec = call_spec(spec.name).unwrap();
            let nested = prop::option::of(value_of(ParamKind::Call));
            (args_of(spec), nested).prop_map(move |(mut args, nested)| {
                if let (Some(nested), Some(_)) = (nested, spec.param("call")) {
                    args.push(("call".into(), nested));
                }
                Call::from_args(spec.name, &args).unwrap()
            })
        })
        .boxed()
}

fn returns_for(call: &Call) -> BoxedStrategy<Option<Returns>> {
    let keys: Vec<&'static str> = call.spec().returns.iter().map(|r| r.key()).collect();
    let entries: Vec<_> = keys
        .into_iter()
        .map(|key| {
            let value: BoxedStrategy<Value> = match key {
                "files" => prop::collection::vec(path(), 0..3)
                    .prop_map(|v| json!(v))
                    .boxed(),
                "base_name" => "[a-z]{3}".prop_map(Value::from).boxed(),
                "value" => param_value(),
                "instances" => prop::collection::vec(
                    (prop::option::of(text()), prop::option::of(handle())),
                    0..2,
                )
                .prop_map(|v| {
                    json!(
                        v.into_iter()
                            .map(|(name, h)| {
                                let mut m = serde_json::Map::new();
                                if let Some(h) = h {
                                    m.insert("instance".into(), h);
                                }
                                if let Some(name) = name {
                                    m.insert("instance_name".into(), json!(name));
                                }
                                Value::Object(m)
                            })
                            .collect::<Vec<_>>()
                    )
                })
                .boxed(),
                _ => any::<u64>().prop_map(Value::from).boxed(),
            };
            prop::option::of(value).prop_map(move |v| v.map(|v| (key, v)))
        })
        .collect();
    prop::option::of(entries)
        .prop_map(|entries| {
            entries.map(|entries| {
                let map: serde_json::Map<_, _> = entries
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
                serde_json::from_value(Value::Object(map)).unwrap()
            })
        })
        .boxed()
}

fn expect_for(harness: bool) -> BoxedStrategy<Expect> {
    let codes = prop::collection::vec(
        prop::sample::select(CATALOGUE.iter().map(|i| i.code).collect::<Vec<_>>()),
        1..3,
    )
    .prop_map(Expect::Codes);
    if harness {
        prop_oneof![Just(Expect::Default), Just(Expect::Ok), codes].boxed()
    } else {
        prop_oneof![Just(Expect::Default), codes].boxed()
    }
}

fn step() -> BoxedStrategy<Step> {
    call()
        .prop_flat_map(|call| {
            let harness = call.spec().is_harness();
            (
                Just(call.clone()),
                expect_for(harness),
                returns_for(&call),
                prop::option::of(text()),
                prop::option::of("[a-z]\\PC{0,8}"),
            )
        })
        .prop_map(|(call, expect, returns, note, beyond_model)| Step {
            call,
            expect,
            returns,
            note,
            beyond_model,
        })
        .boxed()
}

fn trace() -> impl Strategy<Value = Trace> {
    (
        "[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,4}){0,3}",
        "[A-Za-z]\\PC{0,20}",
        prop::collection::vec(step(), 1..8),
        prop::option::of(prop_oneof![Just(Profile::Esent), Just(Profile::Documented)]),
        prop::option::of(text()),
    )
        .prop_map(|(name, about, steps, profile, source)| Trace {
            name,
            about,
            steps,
            profile,
            source,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_of_print_is_the_trace(t in trace()) {
        let text = print_trace(&t);
        let (parsed, _) = parse_trace(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&parsed, &t);
        prop_assert_eq!(print_trace(&parsed), text);
    }

    #[test]
    fn canonical_text_has_one_step_per_line(t in trace()) {
        let text = print_trace(&t);
        prop_assert_eq!(text.lines().count(), 7 + t.steps.len() + usize::from(t.profile.is_some()) + usize::from(t.source.is_some()));
    }
}
