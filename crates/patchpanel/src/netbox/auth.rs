//! Building the `Authorization` header from NETBOX_TOKEN (docs/netbox.md §1). Pure.
//!
//! Rule: a value that already names a scheme (`Token …`, `Bearer …`) is used whole. Otherwise
//! `nbt_<key>.<secret>` is a v2 token → `Bearer nbt_<key>.<secret>`, and a 40-character
//! token is v1 → `Token <40 chars>`. NetBox decides v1/v2 by the `nbt_` prefix alone, so
//! `Bearer nbt_key` without `.secret` is refused here rather than by a confusing server answer.

use reqwest::header::HeaderValue;

use super::error::NetboxError;
use crate::secret::Secret;

/// Which token form the header carries (for the start-up log; never the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    V1,
    V2,
}

fn check_v2(token: &str) -> Result<(), NetboxError> {
    let rest = token.strip_prefix("nbt_").unwrap_or(token);
    match rest.split_once('.') {
        Some((key, secret)) if !key.is_empty() && !secret.is_empty() => Ok(()),
        _ => Err(NetboxError::Config(
            "NETBOX_TOKEN looks like a v2 token but is not `nbt_<key>.<secret>`".into(),
        )),
    }
}

/// The header value and token kind for a configured NETBOX_TOKEN. Errors never contain the token.
pub fn authorization(token: &Secret) -> Result<(HeaderValue, TokenKind), NetboxError> {
    let raw = token.expose().trim();
    if raw.is_empty() {
        return Err(NetboxError::Config("NETBOX_TOKEN is empty".into()));
    }
    let (value, kind) = if let Some((scheme, rest)) = raw.split_once(' ') {
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            if rest.starts_with("nbt_") {
                check_v2(rest)?;
                (format!("Bearer {rest}"), TokenKind::V2)
            } else {
                // NetBox reads a Bearer value without `nbt_` as a v1 token.
                (format!("Bearer {rest}"), TokenKind::V1)
            }
        } else if scheme.eq_ignore_ascii_case("token") {
            (format!("Token {rest}"), TokenKind::V1)
        } else {
            return Err(NetboxError::Config(
                "NETBOX_TOKEN has an unknown scheme: use `Token <v1>`, `Bearer nbt_<key>.<secret>` or the bare token".into(),
            ));
        }
    } else if raw.starts_with("nbt_") {
        check_v2(raw)?;
        (format!("Bearer {raw}"), TokenKind::V2)
    } else if raw.chars().count() == 40 && raw.chars().all(|c| c.is_ascii_alphanumeric()) {
        (format!("Token {raw}"), TokenKind::V1)
    } else {
        return Err(NetboxError::Config(
            "NETBOX_TOKEN is neither a v1 token (40 characters) nor a v2 token (`nbt_<key>.<secret>`)"
                .into(),
        ));
    };
    let mut header = HeaderValue::from_str(&value).map_err(|_| {
        NetboxError::Config("NETBOX_TOKEN contains characters not allowed in a header".into())
    })?;
    header.set_sensitive(true);
    Ok((header, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "0123456789abcdef0123456789abcdef01234567";
    const V2: &str = "nbt_netboxlab001.abcdef0123456789abcdef0123456789abcdef01";

    fn header(t: &str) -> Result<(String, TokenKind), NetboxError> {
        authorization(&Secret::new(t))
            .map(|(h, k)| (h.to_str().map(str::to_owned).unwrap_or_default(), k))
    }

    #[test]
    fn bare_tokens_get_their_scheme() {
        assert_eq!(header(V1).unwrap(), (format!("Token {V1}"), TokenKind::V1));
        assert_eq!(header(V2).unwrap(), (format!("Bearer {V2}"), TokenKind::V2));
    }

    #[test]
    fn whole_header_values_are_taken_as_given() {
        assert_eq!(
            header(&format!("Bearer {V2}")).unwrap(),
            (format!("Bearer {V2}"), TokenKind::V2)
        );
        assert_eq!(
            header(&format!("Token {V1}")).unwrap(),
            (format!("Token {V1}"), TokenKind::V1)
        );
        // Without nbt_ NetBox reads Bearer as v1; we pass it through unchanged.
        assert_eq!(header("Bearer abc").unwrap().1, TokenKind::V1);
    }

    #[test]
    fn malformed_tokens_are_refused_without_echoing_them() {
        for bad in [
            "",
            "nbt_netboxlab001",
            "Bearer nbt_onlykey",
            "nbt_.secret",
            "short",
            "Basic dXNlcjpwYXNz",
            "Token abc\ndef",
        ] {
            let e = header(bad).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(matches!(e, NetboxError::Config(_)), "{bad:?}");
            if bad.len() > 4 {
                assert!(!shown.contains(bad), "{shown}");
            }
        }
    }

    #[test]
    fn header_is_marked_sensitive() {
        let (h, _) = authorization(&Secret::new(V1)).unwrap();
        assert!(h.is_sensitive());
        assert!(!format!("{h:?}").contains(V1));
    }
}
