//! Which endpoints this NetBox serves, by its version (pure): the object-change log moved from
//! `extras` to `core` in 4.1. The client remembers the answer as one of the `CL_*` values.

pub(super) const CL_UNKNOWN: u8 = 0;
pub(super) const CL_CORE: u8 = 1;
pub(super) const CL_EXTRAS: u8 = 2;

/// Which change-log endpoint this NetBox serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeLogApi {
    /// `/api/core/object-changes/` (4.1+).
    Core,
    /// `/api/extras/object-changes/` (3.x, 4.0).
    Extras,
}

impl ChangeLogApi {
    pub(super) fn app(self) -> &'static str {
        match self {
            ChangeLogApi::Core => "core",
            ChangeLogApi::Extras => "extras",
        }
    }

    /// The endpoint for a `major.minor[.patch]` NetBox version; `None` when unparsable.
    pub fn for_version(version: &str) -> Option<ChangeLogApi> {
        let mut parts = version.trim().trim_start_matches('v').split('.');
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts
            .next()
            .map(|m| {
                m.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        Some(if (major, minor) >= (4, 1) {
            ChangeLogApi::Core
        } else {
            ChangeLogApi::Extras
        })
    }
}
