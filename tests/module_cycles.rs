//! No module imports form a cycle, in any crate of the workspace.
//!
//! For every module, the graph of its child modules: an edge `a → b` when code in `a` (or below it)
//! names a path into sibling `b` (or below it), through `crate::…`, `super::…` or `self::…`, `use`
//! groups included. Test code (`#[cfg(test)]` modules) is left out: a test may look at its
//! neighbours. The parser is deliberately small: comments, strings and character literals are
//! blanked first, then `mod` declarations give the tree and paths give the edges.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type ModPath = Vec<String>;

/// Source with comments, string and char literals replaced by spaces (newlines kept).
fn blank(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let keep_newlines = |slice: &[u8], out: &mut Vec<u8>| {
        for &c in slice {
            out.push(if c == b'\n' { b'\n' } else { b' ' });
        }
    };
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            let end = b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |p| i + p);
            keep_newlines(&b[i..end], &mut out);
            i = end;
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            let start = i;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            keep_newlines(&b[start..i.min(b.len())], &mut out);
        } else if c == b'r'
            && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            // Raw string r"…" or r#"…"#.
            let start = i;
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            let closing: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat(b'#').take(hashes))
                .collect();
            while j < b.len() && !b[j..].starts_with(&closing) {
                j += 1;
            }
            i = (j + closing.len()).min(b.len());
            keep_newlines(&b[start..i], &mut out);
        } else if c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            keep_newlines(&b[start..i], &mut out);
        } else if c == b'\'' {
            // A char literal ('x', '\n', '\u{..}'), not a lifetime ('a).
            let rest = &b[i + 1..];
            let len = if rest.first() == Some(&b'\\') {
                rest.iter().skip(1).position(|&c| c == b'\'').map(|p| p + 2)
            } else {
                let ch_len = std::str::from_utf8(&rest[..rest.len().min(4)])
                    .ok()
                    .or_else(|| std::str::from_utf8(&rest[..rest.len().min(1)]).ok())
                    .and_then(|s| s.chars().next())
                    .map_or(1, char::len_utf8);
                (rest.get(ch_len) == Some(&b'\'')).then_some(ch_len)
            };
            match len {
                Some(n) => {
                    keep_newlines(&b[i..i + n + 2], &mut out);
                    i += n + 2;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The index just after the block opened at `open` (a `{`).
fn block_end(s: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    for (k, &c) in s.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    s.len()
}

/// `#[cfg(test)]` items removed (an inline module's block, or a declaration up to its `;`).
fn without_tests(s: &str) -> String {
    let mut out = s.to_owned();
    while let Some(at) = out.find("#[cfg(test)]") {
        let b = out.as_bytes();
        let next_semi = out[at..].find(';').map(|p| at + p);
        let next_brace = out[at..].find('{').map(|p| at + p);
        let end = match (next_semi, next_brace) {
            (Some(semi), Some(brace)) if semi < brace => semi + 1,
            (_, Some(brace)) => block_end(b, brace),
            (Some(semi), None) => semi + 1,
            (None, None) => out.len(),
        };
        out.replace_range(at..end, "");
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path a `use` tree names, expanded (`a::{b, c::d}` → `a::b`, `a::c::d`).
fn expand_use(tree: &str) -> Vec<Vec<String>> {
    fn go(prefix: &[String], t: &str, out: &mut Vec<Vec<String>>) {
        let t = t.trim();
        if let Some(open) = t.find('{') {
            let head: Vec<String> = t[..open]
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let mut base = prefix.to_vec();
            base.extend(head);
            let inner = &t[open + 1..t.rfind('}').unwrap_or(t.len())];
            let mut depth = 0;
            let mut start = 0;
            for (k, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&base, &inner[start..k], out);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            go(&base, &inner[start..], out);
        } else {
            let t = t.split(" as ").next().unwrap_or("").trim();
            let mut p = prefix.to_vec();
            p.extend(
                t.split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && *s != "self" && *s != "*")
                    .map(str::to_owned),
            );
            if !p.is_empty() {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    go(&[], tree, &mut out);
    out
}

/// Paths (`crate::…`, `super::…`, `self::…`) named in `code`, resolved against `module`.
fn referenced(code: &str, module: &ModPath) -> Vec<ModPath> {
    let mut raw: Vec<Vec<String>> = Vec::new();
    // `use` statements, groups expanded.
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before_ok = at == 0 || !is_ident(rest[..at].chars().last().unwrap_or(' '));
        let end = rest[at..].find(';').map_or(rest.len(), |p| at + p);
        if before_ok {
            raw.extend(expand_use(&rest[at + 4..end]));
        }
        rest = &rest[(at + 4).min(end.max(at + 4))..];
    }
    // Paths anywhere else.
    for start_word in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(p) = code[from..].find(start_word) {
            let at = from + p;
            from = at + start_word.len();
            if at > 0 && is_ident(code[..at].chars().last().unwrap_or(' ')) {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| is_ident(*c) || *c == ':')
                .collect();
            raw.push(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            );
        }
    }
    raw.into_iter()
        .filter_map(|p| {
            let mut segs = p.into_iter().peekable();
            let mut abs: ModPath = match segs.peek().map(String::as_str) {
                Some("crate") => {
                    segs.next();
                    Vec::new()
                }
                Some("super") | Some("self") => module.clone(),
                _ => return None,
            };
            for s in segs {
                match s.as_str() {
                    "super" => {
                        abs.pop();
                    }
                    "self" => {}
                    _ => abs.push(s),
                }
            }
            Some(abs)
        })
        .collect()
}

/// One crate's modules: path → file (test modules left out).
fn modules(root_file: &Path) -> BTreeMap<ModPath, PathBuf> {
    let mut found = BTreeMap::new();
    let mut todo = vec![(ModPath::new(), root_file.to_path_buf())];
    while let Some((path, file)) = todo.pop() {
        let Ok(src) = fs::read_to_string(&file) else {
            continue;
        };
        let code = without_tests(&blank(&src));
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let parent = file.parent().unwrap_or(Path::new("."));
        let dir = if matches!(stem, "mod" | "lib" | "main") {
            parent.to_path_buf()
        } else {
            parent.join(stem)
        };
        // `#[path = "…"]` attributes were blanked with the strings; such modules are test files.
        for line in code.lines() {
            let l = line.trim();
            let l = l
                .strip_prefix("pub(crate) ")
                .or_else(|| l.strip_prefix("pub "))
                .unwrap_or(l);
            let Some(name) = l.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) else {
                continue;
            };
            let name = name.trim();
            let file = [
                dir.join(format!("{name}.rs")),
                dir.join(name).join("mod.rs"),
            ]
            .into_iter()
            .find(|f| f.exists());
            if let Some(f) = file {
                let mut p = path.clone();
                p.push(name.to_owned());
                todo.push((p, f));
            }
        }
        found.insert(path, file);
    }
    found
}

/// Sibling edges per parent module.
fn edges(mods: &BTreeMap<ModPath, PathBuf>) -> BTreeMap<ModPath, BTreeSet<(String, String)>> {
    let mut out: BTreeMap<ModPath, BTreeSet<(String, String)>> = BTreeMap::new();
    for (m, file) in mods {
        let code = without_tests(&blank(&fs::read_to_string(file).unwrap()));
        for t in referenced(&code, m) {
            let common = m.iter().zip(&t).take_while(|(a, b)| a == b).count();
            if common >= m.len() || common >= t.len() {
                continue; // an ancestor or a descendant, not a sibling
            }
            let parent: ModPath = m[..common].to_vec();
            let mut target = parent.clone();
            target.push(t[common].clone());
            if mods.contains_key(&target) {
                out.entry(parent)
                    .or_default()
                    .insert((m[common].clone(), t[common].clone()));
            }
        }
    }
    out
}

/// A cycle in `graph`, if any, as its nodes in order.
fn find_cycle(graph: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in graph {
        next.entry(a).or_default().push(b);
    }
    fn dfs<'a>(
        n: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        state.insert(n, 1);
        stack.push(n);
        for &m in next.get(n).into_iter().flatten() {
            match state.get(m) {
                Some(1) => {
                    let at = stack.iter().position(|s| *s == m).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        stack[at..].iter().map(|s| s.to_string()).collect();
                    cycle.push(m.to_owned());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = dfs(m, next, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(n, 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in next.keys() {
        if !state.contains_key(n) {
            if let Some(c) = dfs(n, &next, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

fn crate_roots() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![("patchpanel-cli".to_owned(), root.join("src/main.rs"))];
    for entry in fs::read_dir(root.join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let lib = dir.join("src/lib.rs");
        if lib.exists() {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            roots.push((name, lib));
        }
    }
    roots
}

#[test]
fn no_module_imports_form_a_cycle() {
    let mut cycles = Vec::new();
    let mut module_count = 0;
    for (name, root) in crate_roots() {
        let mods = modules(&root);
        module_count += mods.len();
        for (parent, graph) in edges(&mods) {
            if let Some(cycle) = find_cycle(&graph) {
                let at = if parent.is_empty() {
                    "crate".to_owned()
                } else {
                    parent.join("::")
                };
                cycles.push(format!("{name}: in {at}: {}", cycle.join(" → ")));
            }
        }
    }
    assert!(
        module_count > 100,
        "the module walk found only {module_count} modules"
    );
    assert!(
        cycles.is_empty(),
        "module import cycles:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_parser_sees_what_a_cycle_is_made_of() {
    let code = blank("use crate::{a::X, b::{c, d as e}};\nfn f() { super::g::h(); let s = \"crate::zz\"; } // crate::yy\n");
    let refs = referenced(&code, &vec!["m".to_owned(), "n".to_owned()]);
    for want in [
        vec!["a", "X"],
        vec!["b", "c"],
        vec!["b", "d"],
        vec!["m", "g", "h"],
    ] {
        assert!(refs.iter().any(|r| r == &want), "{want:?} not in {refs:?}");
    }
    assert!(
        !refs
            .iter()
            .any(|r| r.first().is_some_and(|s| s == "zz" || s == "yy")),
        "{refs:?}"
    );
    let tests_gone = without_tests(&blank(
        "fn a() {}\n#[cfg(test)]\nmod tests { use crate::x; fn t() { let _ = '{'; } }\nfn b() {}",
    ));
    assert!(
        !tests_gone.contains("crate::x") && tests_gone.contains("fn b"),
        "{tests_gone}"
    );
    let graph: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("c", "a")]
        .iter()
        .map(|(x, y)| (x.to_string(), y.to_string()))
        .collect();
    assert_eq!(find_cycle(&graph).map(|c| c.len()), Some(4));
}
