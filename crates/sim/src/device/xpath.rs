//! XPath filters (`<filter type="xpath" select="…">`, RFC 6241 §8.9) as far as the simulator
//! evaluates them: absolute location paths of child steps, each step with optional predicates
//! `[leaf = 'literal']` joined by `and`, and unions of such paths (`|`). Such a path selects exactly
//! what an RFC 6241 §6 subtree filter selects (a predicate is a content-match node, the last step a
//! selection node), so it is translated into one and evaluated by `filter`. Prefixes resolve through
//! the namespace declarations in scope on `<filter>`; a name without prefix matches any namespace
//! (a subtree filter node without one does too).
//!
//! Anything else of XPath 1.0 (`//`, `*`, `.`/`..`, axes, attributes, functions, `or`, comparisons
//! other than `=`) is refused with `operation-not-supported`, never evaluated half-way: the client
//! learns that this server cannot answer it, as a real server answers a request it does not support.
//! Malformed expressions and unknown prefixes are `bad-attribute`, as netconfd answers them. Pure.

use super::edit::Scope;
use super::error::YangError;
use super::ns::NS_BASE;
use super::xmltree::Element;

/// Why a `select` expression is not evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XPathError {
    /// Not an XPath expression, or a prefix without declaration.
    Invalid(String),
    /// Valid XPath outside the subset evaluated here.
    Unsupported(String),
}

impl XPathError {
    pub fn to_yang(&self, select: &str) -> YangError {
        let e = match self {
            XPathError::Invalid(why) => YangError::protocol(
                "bad-attribute",
                format!("invalid XPath expression: {why}"),
            ),
            XPathError::Unsupported(what) => YangError::protocol(
                "operation-not-supported",
                format!(
                    "{what} is not supported in XPath filters here: use absolute paths of child steps \
                     with [leaf='value'] predicates (joined by `and`, paths by `|`), or a subtree filter"
                ),
            ),
        };
        e.with_info("bad-attribute", "select")
            .with_info("bad-element", "filter")
            .with_info("bad-value", select)
    }
}

/// The `<filter>` (holding the subtree filter) that selects what `select` selects.
pub fn to_subtree(select: &str, scope: &Scope) -> Result<Element, XPathError> {
    if select.trim() == "/" {
        return Err(XPathError::Unsupported(
            "`/` alone (the whole datastore: send no filter)".into(),
        ));
    }
    let tokens = tokenize(select)?;
    let mut p = Parser {
        tokens: &tokens,
        at: 0,
        scope,
    };
    let mut filter = Element::new(NS_BASE, "filter");
    loop {
        filter.push(p.path()?);
        match p.next() {
            None => return Ok(filter),
            Some(Tok::Bar) => continue,
            Some(t) => return Err(p.unexpected(t)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Slash,
    DoubleSlash,
    Name(String),
    Open,
    Close,
    Eq,
    Literal(String),
    Bar,
    /// Valid XPath this module does not evaluate (`*`, `..`, `@`, `(`, `!=`, …), as written.
    Other(String),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, XPathError> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '/' if chars.peek().is_some_and(|(_, n)| *n == '/') => {
                chars.next();
                out.push(Tok::DoubleSlash);
            }
            '/' => out.push(Tok::Slash),
            '[' => out.push(Tok::Open),
            ']' => out.push(Tok::Close),
            '=' => out.push(Tok::Eq),
            '|' => out.push(Tok::Bar),
            '\'' | '"' => {
                let rest = &s[i + 1..];
                let end = rest
                    .find(c)
                    .ok_or_else(|| XPathError::Invalid("a string literal is not closed".into()))?;
                out.push(Tok::Literal(rest[..end].to_owned()));
                for _ in rest[..=end].chars() {
                    chars.next();
                }
            }
            c if c.is_ascii_digit() => {
                let mut n = c.to_string();
                while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                out.push(Tok::Literal(n));
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut n = c.to_string();
                while let Some((_, d)) = chars
                    .peek()
                    .filter(|(_, d)| d.is_alphanumeric() || matches!(d, '_' | '-' | '.' | ':'))
                {
                    n.push(*d);
                    chars.next();
                }
                if n.contains("::") || chars.peek().is_some_and(|(_, d)| *d == '(') {
                    out.push(Tok::Other(n));
                } else {
                    out.push(Tok::Name(n));
                }
            }
            '*' | '.' | '@' | '(' | ')' | '!' | '<' | '>' | '+' | '-' | '$' | ',' => {
                out.push(Tok::Other(c.to_string()))
            }
            other => {
                return Err(XPathError::Invalid(format!(
                    "unexpected character `{other}`"
                )))
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: &'a [Tok],
    at: usize,
    scope: &'a Scope,
}

impl Parser<'_> {
    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at)
    }

    fn unexpected(&self, t: Tok) -> XPathError {
        match t {
            Tok::Other(o) => XPathError::Unsupported(format!("`{o}`")),
            Tok::DoubleSlash => XPathError::Unsupported("`//`".into()),
            Tok::Name(n) if n == "or" => XPathError::Unsupported("`or`".into()),
            t => XPathError::Invalid(format!("unexpected {t:?}")),
        }
    }

    /// `(/ step)+` as nested filter elements.
    fn path(&mut self) -> Result<Element, XPathError> {
        let mut steps = Vec::new();
        loop {
            match self.next() {
                Some(Tok::Slash) => steps.push(self.step()?),
                Some(t) if steps.is_empty() => {
                    return Err(match t {
                        Tok::Name(_) => XPathError::Unsupported("a relative path".into()),
                        t => self.unexpected(t),
                    })
                }
                Some(t) => {
                    self.at -= 1;
                    if matches!(t, Tok::Bar) {
                        break;
                    }
                    return Err(self.unexpected(t));
                }
                None => break,
            }
            if !matches!(self.peek(), Some(Tok::Slash | Tok::DoubleSlash)) {
                break;
            }
        }
        let mut nested: Option<Element> = None;
        for mut step in steps.into_iter().rev() {
            if let Some(inner) = nested.take() {
                step.push(inner);
            }
            nested = Some(step);
        }
        nested.ok_or_else(|| XPathError::Invalid("an empty path".into()))
    }

    fn step(&mut self) -> Result<Element, XPathError> {
        let mut e = match self.next() {
            Some(Tok::Name(n)) => self.element(&n)?,
            Some(t) => return Err(self.unexpected(t)),
            None => return Err(XPathError::Invalid("the path ends with `/`".into())),
        };
        while matches!(self.peek(), Some(Tok::Open)) {
            self.at += 1;
            loop {
                let leaf = match self.next() {
                    Some(Tok::Name(n)) => self.element(&n)?,
                    Some(t) => return Err(self.unexpected(t)),
                    None => return Err(XPathError::Invalid("a predicate is not closed".into())),
                };
                match self.next() {
                    Some(Tok::Eq) => {}
                    Some(t) => return Err(self.unexpected(t)),
                    None => return Err(XPathError::Invalid("a predicate is not closed".into())),
                }
                match self.next() {
                    Some(Tok::Literal(v)) => e.push(Element { text: v, ..leaf }),
                    Some(t) => return Err(self.unexpected(t)),
                    None => return Err(XPathError::Invalid("a predicate is not closed".into())),
                }
                match self.next() {
                    Some(Tok::Close) => break,
                    Some(Tok::Name(and)) if and == "and" => continue,
                    Some(t) => return Err(self.unexpected(t)),
                    None => return Err(XPathError::Invalid("a predicate is not closed".into())),
                }
            }
        }
        Ok(e)
    }

    /// A filter element for `prefix:name` (or `name`, any namespace).
    fn element(&self, qname: &str) -> Result<Element, XPathError> {
        match qname.split_once(':') {
            Some((prefix, local)) => {
                let ns = self.scope.resolve(prefix).ok_or_else(|| {
                    XPathError::Invalid(format!("the prefix `{prefix}` is not declared"))
                })?;
                Ok(Element::new(ns, local))
            }
            None => Ok(Element::new("", qname)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IOS: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-native";

    fn scope() -> Scope {
        Scope::default().enter(&Element::new(NS_BASE, "filter").with_attr("xmlns:ios", IOS))
    }

    fn subtree(select: &str) -> Element {
        to_subtree(select, &scope()).unwrap_or_else(|e| panic!("{select}: {e:?}"))
    }

    #[test]
    fn a_keyed_leaf_becomes_content_match_and_selection() {
        let f = subtree(
            "/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:description",
        );
        let gi = &f.children[0].children[0].children[0];
        assert_eq!((gi.ns.as_str(), gi.name.as_str()), (IOS, "GigabitEthernet"));
        assert_eq!(gi.children[0].name, "name");
        assert_eq!(gi.children[0].text, "1/0/2");
        assert_eq!(gi.children[1].name, "description");
        assert!(gi.children[1].text.is_empty() && gi.children[1].children.is_empty());
    }

    #[test]
    fn predicates_unions_numbers_and_any_namespace() {
        let f = subtree(
            " /ios:native/ios:vrf/ios:definition[ios:name = \"BLUE\" and ios:rd='65000:1'] | /native/hostname",
        );
        assert_eq!(f.children.len(), 2);
        let def = &f.children[0].children[0].children[0];
        assert_eq!(def.children.len(), 2);
        assert_eq!(def.children[1].text, "65000:1");
        assert_eq!(f.children[1].ns, "");
        let vlan = subtree("/ios:native/ios:interface/ios:Vlan[ios:name=10]");
        assert_eq!(
            vlan.children[0].children[0].children[0].children[0].text,
            "10"
        );
    }

    #[test]
    fn the_rest_of_xpath_is_refused_not_guessed() {
        for unsupported in [
            "//ios:description",
            "/ios:native/*",
            "/ios:native/..",
            "/ios:native/ios:interface/ios:GigabitEthernet[ios:mtu!='1500']",
            "/ios:native/ios:interface/ios:GigabitEthernet[contains(ios:name, '1/0')]",
            "/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1' or ios:name='2']",
            "/ios:native/child::ios:hostname",
            "/ios:native/@x",
            "ios:native",
            "/",
        ] {
            let e = to_subtree(unsupported, &scope()).unwrap_err();
            assert!(
                matches!(e, XPathError::Unsupported(_)),
                "{unsupported}: {e:?}"
            );
            let y = e.to_yang(unsupported);
            assert_eq!(
                (y.error_type, y.tag),
                ("protocol", "operation-not-supported")
            );
            assert_eq!(y.info("bad-attribute"), Some("select"));
        }
        for invalid in [
            "/zz:native",
            "/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/3'",
            "/ios:native[ios:name='x",
            "/ios:native/",
            "",
            "/ios:native#",
        ] {
            let e = to_subtree(invalid, &scope()).unwrap_err();
            assert!(matches!(e, XPathError::Invalid(_)), "{invalid:?}: {e:?}");
            assert_eq!(e.to_yang(invalid).tag, "bad-attribute");
        }
    }
}
