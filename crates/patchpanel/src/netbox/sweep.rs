//! The reconcile sweep's reads (docs/netbox.md §7): every interface that still carries a ticket
//! number, and the custom field's `filter_logic`, which decides whether NetBox honours that filter.

use serde::Deserialize;
use serde_json::Value;

use super::client::NetboxClient;
use super::error::NetboxError;
use super::wire::{Interface, TICKET_FIELD};

/// Page size of the sweep (NetBox's `MAX_PAGE_SIZE` default caps it at 1000).
const SWEEP_PAGE: &str = "1000";
/// Upper bound of interfaces one sweep lists (50 pages of 1000).
const SWEEP_MAX: usize = 50_000;

#[derive(Debug, Deserialize)]
struct CustomField {
    #[serde(default)]
    name: String,
    #[serde(default)]
    filter_logic: Value,
}

impl NetboxClient {
    /// Every interface whose `change_ticket_number` is set:
    /// `GET /api/dcim/interfaces/?cf_change_ticket_number__empty=false`, 1000 a page. NetBox ignores
    /// that filter unless the field's filter logic is `exact` (it then lists every interface), so
    /// the answer is filtered here too. `fields=` (4.0+, ignored before) keeps the pages small.
    pub async fn interfaces_with_ticket(&self) -> Result<Vec<Interface>, NetboxError> {
        let filter = format!("cf_{TICKET_FIELD}__empty");
        let url = self.url(
            &["dcim", "interfaces"],
            &[
                (filter.as_str(), "false"),
                ("fields", "id,name,device,custom_fields,last_updated"),
                ("limit", SWEEP_PAGE),
            ],
        );
        let all: Vec<Interface> = self
            .list_all(url, "the interfaces carrying a ticket number", SWEEP_MAX)
            .await?;
        Ok(all
            .into_iter()
            .filter(|i| i.change_ticket_number().is_some())
            .collect())
    }

    /// The `filter_logic` of the custom field `change_ticket_number` (`exact`, `loose`,
    /// `disabled`; empty when NetBox does not say), or `None` when the field does not exist.
    pub async fn ticket_field_filter_logic(&self) -> Result<Option<String>, NetboxError> {
        let url = self.url(
            &["extras", "custom-fields"],
            &[("name", TICKET_FIELD), ("limit", "50")],
        );
        let (page, _) = self
            .get_json::<super::wire::Page<CustomField>>(url, "the custom field list")
            .await?;
        // An ignored `name` filter would list every field: pick ours by name.
        Ok(page
            .value
            .results
            .into_iter()
            .find(|f| f.name == TICKET_FIELD)
            .map(|f| filter_logic(&f.filter_logic)))
    }
}

/// `{"value": "exact", "label": "Exact"}` (3.x/4.x) or a plain string.
fn filter_logic(v: &Value) -> String {
    v.as_str()
        .or_else(|| v.get("value").and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filter_logic_reads_choice_objects_and_strings() {
        assert_eq!(
            filter_logic(&json!({"value": "exact", "label": "Exact"})),
            "exact"
        );
        assert_eq!(filter_logic(&json!("loose")), "loose");
        assert_eq!(filter_logic(&json!(null)), "");
        assert_eq!(filter_logic(&json!(3)), "");
    }
}
