//! Bounded request bodies for handlers behind the listener: at most `max` bytes, arriving within
//! `within`. A declared `Content-Length` over the limit is refused before a byte is read.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use futures_util::StreamExt as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Answer 413.
    #[error("the body is larger than {max} bytes")]
    TooLarge { max: usize },
    /// Answer 408.
    #[error("the body did not arrive in time")]
    Slow,
    /// Answer 400: the connection broke or the framing was wrong.
    #[error("the body could not be read")]
    Broken,
}

/// Whether the request declares a `Content-Length` over `max` (refuse it unread).
pub fn declared_too_large(headers: &HeaderMap, max: usize) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|l| l.trim().parse::<u64>().ok())
        .is_some_and(|l| l > max as u64)
}

/// The whole body, at most `max` bytes, within `within`; reading stops at the limit.
pub async fn read_body(body: Body, max: usize, within: Duration) -> Result<Vec<u8>, BodyError> {
    let read = async {
        let mut stream = body.into_data_stream();
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| BodyError::Broken)?;
            if out.len().saturating_add(chunk.len()) > max {
                return Err(BodyError::TooLarge { max });
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    };
    tokio::time::timeout(within, read)
        .await
        .unwrap_or(Err(BodyError::Slow))
}
