//! The `Authorization` header from ZAMMAD_TOKEN (docs/zammad.md §1). Pure.
//!
//! Rule: a bare token is an access token → `Token token=<token>`; a value that starts with `Token `
//! or `Bearer ` (an OAuth2 token) is the whole header value and is sent as given.

use reqwest::header::HeaderValue;

use super::error::ZammadError;
use crate::secret::Secret;

/// The header value for a configured ZAMMAD_TOKEN, marked sensitive. Errors never contain the token.
pub fn authorization(token: &Secret) -> Result<HeaderValue, ZammadError> {
    let raw = token.expose().trim();
    if raw.is_empty() {
        return Err(ZammadError::Config("ZAMMAD_TOKEN is empty".into()));
    }
    if raw.eq_ignore_ascii_case("token") || raw.eq_ignore_ascii_case("bearer") {
        return Err(ZammadError::Config(
            "ZAMMAD_TOKEN names a scheme but no token: give the bare access token (or `Bearer <OAuth2 token>`)".into(),
        ));
    }
    let whole = ["Token ", "Bearer "].iter().any(|scheme| {
        raw.get(..scheme.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
    });
    let value = if whole {
        let rest = raw.split_once(' ').map(|(_, r)| r.trim()).unwrap_or("");
        if rest.is_empty() || rest == "token=" {
            return Err(ZammadError::Config(
                "ZAMMAD_TOKEN names a scheme but no token: give the bare access token (or `Bearer <OAuth2 token>`)".into(),
            ));
        }
        raw.to_owned()
    } else if raw.contains(char::is_whitespace) {
        return Err(ZammadError::Config(
            "ZAMMAD_TOKEN contains a blank: give the bare access token, `Token token=<token>` or `Bearer <OAuth2 token>`".into(),
        ));
    } else {
        format!("Token token={raw}")
    };
    // A header carries visible ASCII only (HeaderValue would also take other bytes).
    if !value.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return Err(ZammadError::Config(
            "ZAMMAD_TOKEN contains characters not allowed in a header".into(),
        ));
    }
    let mut header = HeaderValue::from_str(&value).map_err(|_| {
        ZammadError::Config("ZAMMAD_TOKEN contains characters not allowed in a header".into())
    })?;
    header.set_sensitive(true);
    Ok(header)
}

/// The token itself, without the scheme (`Token token=`, `Bearer `): what must never appear in a
/// message.
pub(crate) fn token_part(token: &Secret) -> Secret {
    let raw = token.expose().trim();
    let rest = match raw.split_once(' ') {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer") =>
        {
            let rest = rest.trim();
            rest.strip_prefix("token=").unwrap_or(rest)
        }
        _ => raw,
    };
    Secret::new(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "aB3dEf9hIjKlMnOpQrStUvWxYz0123456789-_xyzABCDEFGHIJKLMNOPQ";

    fn header(t: &str) -> Result<String, ZammadError> {
        authorization(&Secret::new(t)).map(|h| h.to_str().map(str::to_owned).unwrap_or_default())
    }

    #[test]
    fn a_bare_token_is_an_access_token() {
        assert_eq!(header(TOKEN).unwrap(), format!("Token token={TOKEN}"));
        assert_eq!(
            header(&format!("  {TOKEN}\n")).unwrap(),
            format!("Token token={TOKEN}")
        );
    }

    #[test]
    fn a_whole_header_value_is_sent_as_given() {
        assert_eq!(
            header(&format!("Token token={TOKEN}")).unwrap(),
            format!("Token token={TOKEN}")
        );
        assert_eq!(header("Bearer oauth-xyz").unwrap(), "Bearer oauth-xyz");
        assert_eq!(header("bearer oauth-xyz").unwrap(), "bearer oauth-xyz");
    }

    #[test]
    fn malformed_tokens_are_refused_without_echoing_them() {
        for bad in [
            "",
            "   ",
            "Bearer ",
            "Token token=",
            "two words-secret",
            "Token token=abc\ndef-secret",
            "Bearer caf\u{e9}-secret",
        ] {
            let e = header(bad).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(matches!(e, ZammadError::Config(_)), "{bad:?}");
            assert!(shown.contains("ZAMMAD_TOKEN"), "{shown}");
            assert!(!shown.contains("secret"), "{shown}");
        }
    }

    #[test]
    fn the_token_part_drops_the_scheme() {
        assert_eq!(token_part(&Secret::new(TOKEN)).expose(), TOKEN);
        assert_eq!(
            token_part(&Secret::new(format!("Token token={TOKEN}"))).expose(),
            TOKEN
        );
        assert_eq!(
            token_part(&Secret::new("Bearer oauth-xyz")).expose(),
            "oauth-xyz"
        );
    }

    #[test]
    fn the_header_is_marked_sensitive() {
        let h = authorization(&Secret::new(TOKEN)).unwrap();
        assert!(h.is_sensitive());
        assert!(!format!("{h:?}").contains(TOKEN));
    }
}
