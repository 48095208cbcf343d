//! Fitting a card into Webex's message size (pure): the same card is rendered with smaller and
//! smaller budgets — first shorter row values, then fewer rows — until its JSON fits. Measuring the
//! rendered JSON (not guessing from the input) counts everything that grows text on the way:
//! markdown escapes, `<U+202E>` forms, JSON escaping of quotes and backslashes.

use serde_json::Value;

use super::text::card_text;
use super::CardError;

/// One before → after row of a change: the field and its values (`None`: unset, shown as `—`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRow {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl From<&crate::device::diff::FieldChange> for FieldRow {
    fn from(c: &crate::device::diff::FieldChange) -> Self {
        FieldRow {
            field: c.field.to_owned(),
            before: c.before.clone(),
            after: c.after.clone(),
        }
    }
}

/// How much of the rows one rendering shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Rows shown; the rest are counted in a "… more" line.
    pub rows: usize,
    /// Characters kept of each before/after value.
    pub value_chars: usize,
}

/// Row values first shrink through these lengths, then the row count through [`ROW_STEPS`].
const VALUE_STEPS: [usize; 6] = [400, 200, 100, 60, 30, 16];
const ROW_STEPS: [usize; 5] = [50, 25, 12, 6, 3];
/// A field name is the bot's own word (`mtu`), but it is still cut like any text.
const FIELD_CHARS: usize = 40;

/// The first rendering, from the most generous budget down, whose JSON is at most `limit` bytes.
pub fn fit(
    limit: usize,
    mut render: impl FnMut(Budget) -> Result<Value, CardError>,
) -> Result<Value, CardError> {
    let mut smallest = usize::MAX;
    for rows in ROW_STEPS {
        for value_chars in VALUE_STEPS {
            let card = render(Budget { rows, value_chars })?;
            let bytes = serde_json::to_vec(&card)
                .map(|v| v.len())
                .unwrap_or(usize::MAX);
            if bytes <= limit {
                return Ok(card);
            }
            smallest = smallest.min(bytes);
        }
    }
    Err(CardError::TooLarge {
        bytes: smallest,
        limit,
    })
}

/// The rows as template data (escaped, cut to the budget) and the "more" line's data.
pub fn rows_data(rows: &[FieldRow], budget: Budget) -> (Vec<Value>, Option<String>) {
    let shown: Vec<Value> = rows
        .iter()
        .take(budget.rows)
        .map(|r| {
            let v = |s: &Option<String>| match s {
                Some(s) => card_text(s, budget.value_chars),
                None => "—".to_owned(),
            };
            serde_json::json!({
                "field": card_text(&r.field, FIELD_CHARS),
                "before": v(&r.before),
                "after": v(&r.after),
            })
        })
        .collect();
    let more = rows.len().saturating_sub(budget.rows);
    let line = (more > 0).then(|| {
        format!(
            "… and {more} more field{} not shown ({} in all).",
            if more == 1 { "" } else { "s" },
            rows.len()
        )
    });
    (shown, line)
}

/// [`fit`] for the fallback markdown: the first text whose JSON string is at most `limit` bytes,
/// else the smallest budget's text (which the fixed caps keep small).
pub fn fit_text(limit: usize, mut render: impl FnMut(Budget) -> String) -> String {
    let mut last = String::new();
    for rows in ROW_STEPS {
        for value_chars in VALUE_STEPS {
            last = render(Budget { rows, value_chars });
            let bytes = serde_json::to_string(&last)
                .map(|s| s.len())
                .unwrap_or(usize::MAX);
            if bytes <= limit {
                return last;
            }
        }
    }
    last
}

/// Markdown lines `- **field**: before → after` for the fallback text, escaped for chat.
pub fn rows_markdown(rows: &[FieldRow], budget: Budget) -> String {
    use crate::text_safety::escape_markdown_bounded as esc;
    let v = |s: &Option<String>| match s {
        Some(s) => esc(s, budget.value_chars),
        None => "—".to_owned(),
    };
    let mut out = String::new();
    for r in rows.iter().take(budget.rows) {
        out.push_str(&format!(
            "- **{}**: {} → {}\n",
            esc(&r.field, FIELD_CHARS),
            v(&r.before),
            v(&r.after)
        ));
    }
    let more = rows.len().saturating_sub(budget.rows);
    if more > 0 {
        out.push_str(&format!("- … and {more} more\n"));
    }
    out
}
