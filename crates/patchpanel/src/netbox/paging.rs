//! Following NetBox's `next` links safely. Pure.
//!
//! `next` is an absolute URL built from the request's Host header, so behind a proxy it may name
//! the wrong scheme or host (docs/netbox.md §2). We keep our own scheme, host and path and take
//! only the query from `next` (it carries the filters, `limit` and `offset`/cursor), so the token is
//! never sent anywhere but NETBOX_URL.

use reqwest::Url;

/// Upper bound of pages one listing follows; more means a runaway listing.
pub const MAX_PAGES: usize = 50;

/// The URL of the next page, or `None` when `next` is absent, unparsable, or would not advance.
pub fn next_page_url(current: &Url, next: Option<&str>) -> Option<Url> {
    let next = next?.trim();
    if next.is_empty() {
        return None;
    }
    let parsed = Url::parse(next).or_else(|_| current.join(next)).ok()?;
    let query = parsed.query()?;
    let mut out = current.clone();
    out.set_query(Some(query));
    (out != *current).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_keeps_our_origin_and_path_and_takes_the_query() {
        let cur = Url::parse("https://nb.example/netbox/api/dcim/interfaces/?device_id=1&limit=2")
            .unwrap();
        let next = "http://internal:8000/api/dcim/interfaces/?device_id=1&limit=2&offset=2";
        let n = next_page_url(&cur, Some(next)).unwrap();
        assert_eq!(
            n.as_str(),
            "https://nb.example/netbox/api/dcim/interfaces/?device_id=1&limit=2&offset=2"
        );
    }

    #[test]
    fn missing_garbage_or_non_advancing_next_stops() {
        let cur = Url::parse("http://127.0.0.1:1/api/x/?limit=2&offset=2").unwrap();
        assert_eq!(next_page_url(&cur, None), None);
        assert_eq!(next_page_url(&cur, Some("")), None);
        assert_eq!(next_page_url(&cur, Some("http://h/api/x/")), None);
        assert_eq!(
            next_page_url(&cur, Some("http://h/api/x/?limit=2&offset=2")),
            None
        );
        // A relative next is resolved against our URL.
        let n = next_page_url(&cur, Some("/api/x/?limit=2&offset=4")).unwrap();
        assert_eq!(n.as_str(), "http://127.0.0.1:1/api/x/?limit=2&offset=4");
    }
}
