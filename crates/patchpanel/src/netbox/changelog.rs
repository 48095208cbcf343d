//! The object-change log (docs/netbox.md §8): `/api/core/object-changes/` on 4.1+, falling
//! back to `/api/extras/object-changes/` (3.x, 4.0) on 404, with an `id` cursor read oldest first.

use std::sync::atomic::Ordering;

use super::client::NetboxClient;
use super::error::NetboxError;
use super::version::{ChangeLogApi, CL_CORE, CL_EXTRAS, CL_UNKNOWN};
use super::wire::{ObjectChange, Page};

impl NetboxClient {
    pub(super) fn remember_change_log(&self, api: ChangeLogApi) {
        let v = match api {
            ChangeLogApi::Core => CL_CORE,
            ChangeLogApi::Extras => CL_EXTRAS,
        };
        self.inner.change_log.store(v, Ordering::Relaxed);
    }

    /// One page of the change log: `dcim.interface` changes with `id > after`, oldest first.
    /// Uses `/api/core/` and falls back to `/api/extras/` (3.x, 4.0) on 404, remembering which.
    pub async fn object_changes_after(
        &self,
        after: u64,
        limit: u16,
    ) -> Result<Vec<ObjectChange>, NetboxError> {
        let after = after.to_string();
        let limit = limit.clamp(1, 1000).to_string();
        let q = [
            ("changed_object_type", "dcim.interface"),
            ("id__gt", after.as_str()),
            ("ordering", "id"),
            ("limit", limit.as_str()),
        ];
        let page = self.change_log_page(&q).await?;
        Ok(page.results)
    }

    /// The newest change-log id (`None` on an empty log): the cursor for a first start.
    pub async fn latest_object_change_id(&self) -> Result<Option<u64>, NetboxError> {
        let q = [
            ("changed_object_type", "dcim.interface"),
            ("ordering", "-id"),
            ("limit", "1"),
        ];
        let page = self.change_log_page(&q).await?;
        Ok(page.results.first().map(|c| c.id))
    }

    async fn change_log_page(&self, q: &[(&str, &str)]) -> Result<Page<ObjectChange>, NetboxError> {
        let what = "the change log";
        let known = self.inner.change_log.load(Ordering::Relaxed);
        let first = if known == CL_EXTRAS {
            ChangeLogApi::Extras
        } else {
            ChangeLogApi::Core
        };
        let url = self.url(&[first.app(), "object-changes"], q);
        match self.get_json::<Page<ObjectChange>>(url, what).await {
            Ok((page, _)) => {
                self.remember_change_log(first);
                Ok(page.value)
            }
            Err(NetboxError::NotFound { .. }) if known == CL_UNKNOWN => {
                let url = self.url(&[ChangeLogApi::Extras.app(), "object-changes"], q);
                let (page, _) = self.get_json::<Page<ObjectChange>>(url, what).await?;
                tracing::info!("netbox change log is /api/extras/ (NetBox before 4.1)");
                self.remember_change_log(ChangeLogApi::Extras);
                Ok(page.value)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_log_endpoint_follows_the_version() {
        assert_eq!(ChangeLogApi::for_version("4.7.3"), Some(ChangeLogApi::Core));
        assert_eq!(ChangeLogApi::for_version("4.1"), Some(ChangeLogApi::Core));
        assert_eq!(
            ChangeLogApi::for_version("4.0.11"),
            Some(ChangeLogApi::Extras)
        );
        assert_eq!(
            ChangeLogApi::for_version("3.5.9"),
            Some(ChangeLogApi::Extras)
        );
        assert_eq!(
            ChangeLogApi::for_version("v4.10-beta"),
            Some(ChangeLogApi::Core)
        );
        assert_eq!(ChangeLogApi::for_version("junk"), None);
    }
}
