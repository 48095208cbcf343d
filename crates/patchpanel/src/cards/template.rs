//! A small Adaptive Cards Templating engine over `serde_json::Value` (pure): the subset the bot's
//! templates in `cards/*.json` use, so they stay previewable in the public card designer.
//!
//! Supported: `${name}` and `${a.b}` inside any string value (`$root.` and `$data.` too; `$index` is
//! refused);
//! a string that is exactly one `${…}` takes the bound JSON value as is (a number stays a number);
//! `"$data": "${list}"` on an object inside an array repeats the object once per item, with the item
//! as the scope of its bindings (`"$data": "${obj}"` rescopes a single object); `"$when": "${flag}"`
//! keeps an object only when the flag is `true`. Object keys are never templated.
//!
//! Why a tree walk instead of text substitution: every value is inserted as a JSON value into the
//! output tree and the output is never scanned again, so a value holding `"`, `${x}`, braces,
//! markdown or bidi controls stays the text it was — it cannot become JSON, a binding or a key.
//! Anything the template names that the data lacks is a typed error, never a panic or an empty hole.

use serde_json::{Map, Value};

/// Why a template could not be filled. Each names the binding (or the template fragment) at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The template names data that is not there.
    #[error("template: no data for ${{{path}}}")]
    Missing { path: String },
    /// A binding inside a longer string names an object or array, which has no text form.
    #[error("template: ${{{path}}} is an object or array and cannot be part of a text")]
    NotText { path: String },
    /// `$data` named something other than an array (in an array) or an object.
    #[error("template: $data ${{{path}}} must be an array of objects or an object")]
    BadData { path: String },
    /// `$when` named something other than `true` / `false`.
    #[error("template: $when ${{{path}}} must be true or false")]
    BadWhen { path: String },
    /// A `${` without its `}`, an empty binding, or a `$data`/`$when` that is not one binding.
    #[error("template: malformed binding in {fragment:?}")]
    Syntax { fragment: String },
}

/// The scope bindings resolve in: the root data and the current `$data` item.
#[derive(Clone, Copy)]
struct Scope<'a> {
    root: &'a Value,
    data: &'a Value,
}

/// Fills `template` with `data` (the `$root`).
pub fn fill(template: &Value, data: &Value) -> Result<Value, TemplateError> {
    let scope = Scope { root: data, data };
    let mut out = expand(template, scope, false)?;
    match out.len() {
        1 => Ok(out.pop().unwrap_or(Value::Null)),
        _ => Err(TemplateError::Syntax {
            fragment:
                "the root cannot repeat ($data on the root must be an object) or be dropped ($when)"
                    .into(),
        }),
    }
}

/// One template node → zero (dropped by `$when`), one, or many (repeated by `$data`) values.
/// `in_array`: the node is an array item, the only place `$data` may repeat or `$when` drop it.
fn expand(node: &Value, scope: Scope<'_>, in_array: bool) -> Result<Vec<Value>, TemplateError> {
    match node {
        Value::String(s) => Ok(vec![string(s, scope)?]),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.extend(expand(item, scope, true)?);
            }
            Ok(vec![Value::Array(out)])
        }
        Value::Object(map) => {
            let out = object(map, scope, in_array)?;
            if !in_array && out.len() != 1 {
                return Err(TemplateError::Syntax {
                    fragment: "$data arrays and $when apply to array items only".into(),
                });
            }
            Ok(out)
        }
        other => Ok(vec![other.clone()]),
    }
}

fn object(
    map: &Map<String, Value>,
    scope: Scope<'_>,
    in_array: bool,
) -> Result<Vec<Value>, TemplateError> {
    let Some(data) = map.get("$data") else {
        return Ok(once(map, scope)?.into_iter().collect());
    };
    let path = sole_binding(data)?;
    match resolve(&path, scope)? {
        Value::Array(_) if !in_array => Err(TemplateError::Syntax {
            fragment: format!("$data ${{{path}}}: an array repeats array items only"),
        }),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let inner = Scope {
                    root: scope.root,
                    data: item,
                };
                out.extend(once(map, inner)?);
            }
            Ok(out)
        }
        obj @ Value::Object(_) => {
            let inner = Scope {
                root: scope.root,
                data: obj,
            };
            Ok(once(map, inner)?.into_iter().collect())
        }
        _ => Err(TemplateError::BadData { path }),
    }
}

/// The object filled in `scope` (without `$data`), or nothing when its `$when` is false.
fn once(map: &Map<String, Value>, scope: Scope<'_>) -> Result<Option<Value>, TemplateError> {
    if let Some(when) = map.get("$when") {
        let path = sole_binding(when)?;
        match resolve(&path, scope)? {
            Value::Bool(true) => {}
            Value::Bool(false) => return Ok(None),
            _ => return Err(TemplateError::BadWhen { path }),
        }
    }
    let mut out = Map::with_capacity(map.len());
    for (k, v) in map {
        if k == "$data" || k == "$when" {
            continue;
        }
        // `expand` outside an array yields exactly one value (or an error).
        if let Some(value) = expand(v, scope, false)?.pop() {
            out.insert(k.clone(), value);
        }
    }
    Ok(Some(Value::Object(out)))
}

/// `"${path}"` → `path`; anything else in a `$data`/`$when` is a syntax error.
fn sole_binding(v: &Value) -> Result<String, TemplateError> {
    let syntax = || TemplateError::Syntax {
        fragment: v.to_string(),
    };
    let s = v.as_str().ok_or_else(syntax)?;
    let path = s
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .ok_or_else(syntax)?;
    if path.is_empty() || path.contains('}') || path.contains("${") {
        return Err(syntax());
    }
    Ok(path.trim().to_owned())
}

/// A template string: one exact binding keeps the bound value's type; otherwise each binding is
/// replaced by its text. The output is built piece by piece and never re-read.
fn string(s: &str, scope: Scope<'_>) -> Result<Value, TemplateError> {
    if !s.contains("${") {
        return Ok(Value::String(s.to_owned()));
    }
    let parts = split(s)?;
    if let [Part::Binding(path)] = parts.as_slice() {
        return resolve(path, scope).cloned();
    }
    let mut out = String::with_capacity(s.len());
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Binding(path) => match resolve(path, scope)? {
                Value::String(v) => out.push_str(v),
                Value::Number(n) => out.push_str(&n.to_string()),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Null => return Err(TemplateError::Missing { path: path.into() }),
                _ => return Err(TemplateError::NotText { path: path.into() }),
            },
        }
    }
    Ok(Value::String(out))
}

enum Part<'a> {
    Text(&'a str),
    Binding(&'a str),
}

/// Splits a template string into text and `${…}` bindings (trimmed paths).
fn split(s: &str) -> Result<Vec<Part<'_>>, TemplateError> {
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            parts.push(Part::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| TemplateError::Syntax {
            fragment: s.to_owned(),
        })?;
        let path = after[..end].trim();
        if path.is_empty() || path.contains("${") {
            return Err(TemplateError::Syntax {
                fragment: s.to_owned(),
            });
        }
        parts.push(Part::Binding(path));
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest));
    }
    Ok(parts)
}

/// `name`, `a.b`, `$data.a`, `$root.a.b`: looked up in the scope, never guessed.
fn resolve<'a>(path: &str, scope: Scope<'a>) -> Result<&'a Value, TemplateError> {
    let missing = || TemplateError::Missing {
        path: path.to_owned(),
    };
    if path.starts_with("$index") || path.starts_with("$host") {
        // Not in this subset: no template of ours uses them, and a silent empty would hide it.
        return Err(TemplateError::Syntax {
            fragment: format!("${{{path}}} is not supported by this engine"),
        });
    }
    let mut segments = path.split('.');
    let mut at = match segments.next() {
        Some("$root") => scope.root,
        Some("$data") => scope.data,
        Some(first) => field(scope.data, first).ok_or_else(missing)?,
        None => return Err(missing()),
    };
    for seg in segments {
        at = field(at, seg).ok_or_else(missing)?;
    }
    Ok(at)
}

fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    if name.is_empty() {
        return None;
    }
    v.as_object()?.get(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn binds_names_paths_and_keeps_types_of_exact_bindings() {
        let t = json!({"a": "Hi ${name}, ${who.first}!", "n": "${count}", "k": "${flag}", "plain": "x"});
        let d = json!({"name": "Ann", "who": {"first": "Bo"}, "count": 3, "flag": false});
        assert_eq!(
            fill(&t, &d).unwrap(),
            json!({"a": "Hi Ann, Bo!", "n": 3, "k": false, "plain": "x"})
        );
        let t = json!({"a": "${$root.name} ${$data.count}"});
        assert_eq!(fill(&t, &d).unwrap(), json!({"a": "Ann 3"}));
    }

    #[test]
    fn repeats_data_arrays_inside_arrays_with_the_item_as_scope() {
        let t = json!({"body": [
            {"type": "Title", "text": "${title}"},
            {"$data": "${rows}", "type": "Row", "text": "${field}: ${before} → ${after} (${$root.title})"},
            {"type": "End"}
        ]});
        let d = json!({"title": "T", "rows": [
            {"field": "mtu", "before": "1500", "after": "2000"},
            {"field": "vlan", "before": "1", "after": "100"}
        ]});
        assert_eq!(
            fill(&t, &d).unwrap(),
            json!({"body": [
                {"type": "Title", "text": "T"},
                {"type": "Row", "text": "mtu: 1500 → 2000 (T)"},
                {"type": "Row", "text": "vlan: 1 → 100 (T)"},
                {"type": "End"}
            ]})
        );
        let empty = json!({"title": "T", "rows": []});
        assert_eq!(
            fill(&t, &empty).unwrap()["body"].as_array().unwrap().len(),
            2
        );
    }

    #[test]
    fn when_keeps_or_drops_an_item() {
        let t = json!({"body": [{"$when": "${show}", "text": "${why}"}, {"text": "always"}]});
        assert_eq!(
            fill(&t, &json!({"show": true, "why": "w"})).unwrap(),
            json!({"body": [{"text": "w"}, {"text": "always"}]})
        );
        // A dropped item needs none of its data.
        assert_eq!(
            fill(&t, &json!({"show": false})).unwrap(),
            json!({"body": [{"text": "always"}]})
        );
        assert_eq!(
            fill(&t, &json!({"show": "yes"})),
            Err(TemplateError::BadWhen {
                path: "show".into()
            })
        );
    }

    #[test]
    fn hostile_values_stay_text() {
        let hostile = "\"}], \"actions\": [{\"type\": \"Action.OpenUrl\"}] ${secret} {{x}} **b** [l](http://e) \u{202E}evil";
        let t = json!({"text": "v=${v}", "exact": "${v}", "rows": [{"$data": "${rows}", "t": "${field}"}]});
        let d = json!({"v": hostile, "secret": "LEAK", "rows": [{"field": "${secret}"}]});
        let out = fill(&t, &d).unwrap();
        assert_eq!(out["text"], Value::String(format!("v={hostile}")));
        assert_eq!(out["exact"], Value::String(hostile.to_owned()));
        // A value that looks like a binding is not bound again.
        assert_eq!(out["rows"][0]["t"], "${secret}");
        assert!(!out.to_string().contains("LEAK"));
        assert_eq!(out.as_object().unwrap().len(), 3);
    }

    #[test]
    fn missing_or_malformed_is_a_typed_error() {
        let d = json!({"a": {"b": 1}, "list": [1], "obj": {"x": 1}, "nothing": null});
        let err = |t: Value| fill(&t, &d).unwrap_err();
        assert_eq!(
            err(json!({"t": "${nope}"})),
            TemplateError::Missing {
                path: "nope".into()
            }
        );
        assert_eq!(
            err(json!({"t": "x ${a.c}"})),
            TemplateError::Missing { path: "a.c".into() }
        );
        assert_eq!(
            err(json!({"t": "x ${nothing}"})),
            TemplateError::Missing {
                path: "nothing".into()
            }
        );
        assert_eq!(
            err(json!({"t": "x ${a}"})),
            TemplateError::NotText { path: "a".into() }
        );
        assert!(matches!(
            err(json!({"t": "x ${a"})),
            TemplateError::Syntax { .. }
        ));
        assert!(matches!(
            err(json!({"t": "x ${}"})),
            TemplateError::Syntax { .. }
        ));
        assert!(matches!(
            err(json!({"t": "${$index}"})),
            TemplateError::Syntax { .. }
        ));
        assert!(matches!(
            err(json!({"p": {"$data": "${list}"}})),
            TemplateError::Syntax { .. }
        ));
        assert_eq!(
            err(json!({"b": [{"$data": "${a.b}"}]})),
            TemplateError::BadData { path: "a.b".into() }
        );
        assert!(matches!(
            err(json!({"b": [{"$data": "rows"}]})),
            TemplateError::Syntax { .. }
        ));
        // The root repeating makes no single card.
        assert!(matches!(
            fill(&json!({"$data": "${list}"}), &d),
            Err(TemplateError::Syntax { .. })
        ));
        // An object `$data` rescopes.
        assert_eq!(
            fill(&json!({"$data": "${obj}", "v": "${x}"}), &d).unwrap(),
            json!({"v": 1})
        );
    }
}
