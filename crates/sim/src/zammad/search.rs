//! `GET|POST /api/v1/tickets/search` without Elasticsearch (docs/zammad.md §3): the SQL
//! selector over the `condition` (`Ticket::Selector::Sql`: `is`/`is not` as `IN`/`NOT IN` with
//! PostgreSQL's casts, `after|before (absolute)` inclusive, `''` matching NULL), the text `query`
//! as a case-insensitive substring of title, number and article text, sorting, paging. Also
//! Rails' nested query parameters (`condition[ticket.state_id][value][]=1`). Pure.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::model::{truthy, Cell, Refused, Ticket, User, Zammad};
use super::time;

/// The search's page size when none is asked for, and the most it answers (`paginate_with`).
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// The operators the selector accepts; any other is a 500 (`Invalid block_condition`).
const KNOWN_OPERATORS: &[&str] = &[
    "has changed",
    "is",
    "is not",
    "contains",
    "contains not",
    "contains all",
    "contains one",
    "contains all not",
    "contains one not",
    "today",
    "after (absolute)",
    "before (absolute)",
    "within next (relative)",
    "within last (relative)",
    "after (relative)",
    "before (relative)",
    "till (relative)",
    "from (relative)",
    "is in working time",
    "is not in working time",
];

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Block {
        any: bool,
        not: bool,
        children: Vec<Node>,
    },
    Leaf(Leaf),
}

#[derive(Debug, Clone, PartialEq)]
struct Leaf {
    table: String,
    column: String,
    operator: String,
    value: Value,
    /// `pre_condition: current_user.id` resolved, or `not_set` as `Value::Null`.
    pre_user: Option<Option<u64>>,
}

/// A parsed search request.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// `None`: no condition, or one the selector refused as invalid, which Zammad then drops
    /// entirely, so every readable ticket matches.
    filter: Option<Node>,
    query: Option<String>,
    sort: Vec<(String, bool)>,
    pub limit: i64,
    pub offset: i64,
    pub expand: bool,
}

/// Why the selector gave up on the condition: Zammad logs it and searches without one.
struct InvalidCondition;

fn to_i(v: Option<&Value>) -> Option<i64> {
    // Ruby's `to_i`: leading digits, else 0.
    v.map(|v| match v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => {
            let s = s.trim();
            let (sign, digits) = match s.strip_prefix('-') {
                Some(rest) => (-1, rest),
                None => (1, s),
            };
            let d: String = digits.chars().take_while(char::is_ascii_digit).collect();
            sign * d.parse::<i64>().unwrap_or(0)
        }
        _ => 0,
    })
}

/// The params as one object (query string and body merged), the acting user.
pub fn parse(params: &Map<String, Value>, actor: u64) -> Result<Search, Refused> {
    let limit = to_i(params.get("per_page").or_else(|| params.get("limit")))
        .unwrap_or(DEFAULT_LIMIT)
        .min(MAX_LIMIT);
    let page = to_i(params.get("page")).unwrap_or(1);
    let offset = (page - 1).saturating_mul(limit);
    if limit < 0 {
        return Err(Refused::Statement(
            "PG::InvalidRowCountInLimitClause: ERROR:  LIMIT must not be negative".into(),
        ));
    }
    if offset < 0 {
        return Err(Refused::Statement(
            "PG::InvalidRowCountInResultOffsetClause: ERROR:  OFFSET must not be negative".into(),
        ));
    }
    let query = params
        .get("query")
        .map(|q| match q {
            Value::String(s) => s.replace('*', ""),
            other => other.to_string(),
        })
        .filter(|q| !q.trim().is_empty());
    let filter = match params.get("condition") {
        None | Some(Value::Null) => None,
        Some(Value::Object(c)) if c.is_empty() => None,
        Some(c) => block(c, actor)?.ok(),
    };
    Ok(Search {
        filter,
        query,
        sort: sort(params),
        limit,
        offset,
        expand: params.get("expand").and_then(truthy).unwrap_or(false),
    })
}

/// `sort_by`/`order_by` (one or several); columns the table lacks are dropped, and with none left
/// the order is `updated_at DESC`.
fn sort(params: &Map<String, Value>) -> Vec<(String, bool)> {
    let list = |k: &str| -> Vec<String> {
        match params.get(k) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let orders = list("order_by");
    let probe = Ticket::default();
    let sort: Vec<(String, bool)> = list("sort_by")
        .into_iter()
        .enumerate()
        .filter(|(_, c)| probe.column(c).is_some())
        .map(|(i, c)| {
            let asc = orders
                .get(i)
                .or(orders.first())
                .is_some_and(|o| o.eq_ignore_ascii_case("asc"));
            (c, asc)
        })
        .collect();
    if sort.is_empty() {
        vec![("updated_at".into(), false)]
    } else {
        sort
    }
}

/// A flat `{"ticket.x": {...}}` map or an expert block `{"operator": "AND", "conditions": [...]}`.
fn block(c: &Value, actor: u64) -> Result<Result<Node, InvalidCondition>, Refused> {
    let Value::Object(map) = c else {
        return Ok(Err(InvalidCondition));
    };
    if let Some(Value::Array(items)) = map.get("conditions") {
        let op = map.get("operator").and_then(Value::as_str).unwrap_or("AND");
        let mut children = Vec::new();
        for item in items {
            match block(item, actor)? {
                Ok(n) => children.push(n),
                Err(e) => return Ok(Err(e)),
            }
        }
        return Ok(Ok(Node::Block {
            any: op.eq_ignore_ascii_case("OR"),
            not: op.eq_ignore_ascii_case("NOT"),
            children,
        }));
    }
    if let Some(Value::String(name)) = map.get("name") {
        return leaf(name, map, actor).map(|l| l.map(Node::Leaf));
    }
    let mut children = Vec::new();
    for (name, cond) in map {
        let Value::Object(cond) = cond else {
            return Ok(Err(InvalidCondition));
        };
        match leaf(name, cond, actor)? {
            Ok(l) => children.push(Node::Leaf(l)),
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(Ok(Node::Block {
        any: false,
        not: false,
        children,
    }))
}

fn leaf(
    name: &str,
    c: &Map<String, Value>,
    actor: u64,
) -> Result<Result<Leaf, InvalidCondition>, Refused> {
    let mut parts = name.split('.');
    let (table, column) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if table.is_empty() || column.is_empty() {
        // `return if !attribute_name`: the selector skips it before checking anything else.
        return Ok(Ok(Leaf {
            table: String::new(),
            column: String::new(),
            operator: String::new(),
            value: Value::Null,
            pre_user: None,
        }));
    }
    let operator = match c.get("operator") {
        Some(Value::String(op)) => op.clone(),
        _ => {
            return Err(Refused::Internal(format!(
                "Invalid block_condition, operator missing {}",
                Value::Object(c.clone())
            )))
        }
    };
    if !KNOWN_OPERATORS.contains(&operator.as_str()) {
        return Err(Refused::Internal(format!(
            "Invalid block_condition, operator {operator} is invalid {}",
            Value::Object(c.clone())
        )));
    }
    let value = c.get("value").cloned();
    let blank = match &value {
        None => operator != "today",
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::String(s)) => operator.starts_with("contains") && s.trim().is_empty(),
        Some(_) => false,
    };
    let pre = c.get("pre_condition").and_then(Value::as_str);
    if operator != "has changed"
        && blank
        && !matches!(pre, Some(p) if p != "specific" && !p.is_empty())
    {
        return Ok(Err(InvalidCondition));
    }
    let pre_user = match pre {
        Some("not_set") => Some(None),
        Some("current_user.id") => Some(Some(actor)),
        Some("specific") | None => None,
        Some(p) if p.starts_with("current_user.") => {
            return Err(Refused::Internal(format!(
                "the simulator does not model pre_condition {p}"
            )))
        }
        Some(_) => return Ok(Err(InvalidCondition)),
    };
    Ok(Ok(Leaf {
        table: table.to_owned(),
        column: column.to_owned(),
        operator,
        value: value.unwrap_or(Value::Null),
        pre_user,
    }))
}

fn user_column(u: Option<&User>, column: &str) -> Option<Cell> {
    let text = |f: fn(&User) -> &str| Cell::Text(u.map(|u| f(u).to_owned()));
    Some(match column {
        "id" => Cell::Int(u.and_then(|u| i64::try_from(u.id).ok())),
        "login" => text(|u| &u.login),
        "email" => text(|u| &u.email),
        "firstname" => text(|u| &u.firstname),
        "lastname" => text(|u| &u.lastname),
        "active" => Cell::Bool(u.map(|u| u.active)),
        "organization_id" => Cell::Int(
            u.and_then(|u| u.organization_id)
                .and_then(|o| o.try_into().ok()),
        ),
        _ => return None,
    })
}

/// The cell the leaf compares, or the database's refusal of an unknown table or column.
fn cell(z: &Zammad, t: &Ticket, l: &Leaf) -> Result<Cell, Refused> {
    let missing = |table: &str| {
        Refused::Statement(format!(
            "PG::UndefinedColumn: ERROR:  column {table}.{} does not exist",
            l.column
        ))
    };
    match l.table.as_str() {
        "ticket" => t.column(&l.column).ok_or_else(|| missing("tickets")),
        "ticket_state" => {
            let s = z.state(t.state_id);
            match l.column.as_str() {
                "id" => Ok(Cell::Int(s.and_then(|s| s.id.try_into().ok()))),
                "name" => Ok(Cell::Text(s.map(|s| s.name.clone()))),
                "state_type_id" => Ok(Cell::Int(s.and_then(|s| s.state_type_id.try_into().ok()))),
                "active" => Ok(Cell::Bool(s.map(|s| s.active))),
                _ => Err(missing("ticket_states")),
            }
        }
        "customer" => {
            user_column(z.user(t.customer_id), &l.column).ok_or_else(|| missing("customers"))
        }
        "owner" => user_column(z.user(t.owner_id), &l.column).ok_or_else(|| missing("owners")),
        "organization" | "article" | "execution_time" => Err(Refused::Internal(format!(
            "the simulator does not model selector table {}",
            l.table
        ))),
        other => Err(Refused::Internal(format!(
            "invalid selector {other}, {}",
            l.column
        ))),
    }
}

/// One bound value cast to the column's type, as PostgreSQL casts a string parameter.
fn cast(c: &Cell, v: &Value) -> Result<Cell, Refused> {
    let refuse = |ty: &str| {
        Refused::Statement(format!(
            "PG::InvalidTextRepresentation: ERROR:  invalid input syntax for type {ty}: {v}"
        ))
    };
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Null => return Ok(Cell::Text(None)),
        other => other.to_string(),
    };
    Ok(match c {
        Cell::Int(_) => Cell::Int(Some(text.trim().parse().map_err(|_| refuse("integer"))?)),
        Cell::Bool(_) => Cell::Bool(Some(truthy(v).ok_or_else(|| refuse("boolean"))?)),
        Cell::Time(_) => Cell::Time(Some(time::parse(&text).ok_or_else(|| refuse("timestamp"))?)),
        Cell::Text(_) => Cell::Text(Some(text)),
    })
}

fn is_null(c: &Cell) -> bool {
    matches!(
        c,
        Cell::Int(None) | Cell::Text(None) | Cell::Bool(None) | Cell::Time(None)
    )
}

fn compare(a: &Cell, b: &Cell) -> Option<Ordering> {
    match (a, b) {
        (Cell::Int(Some(x)), Cell::Int(Some(y))) => Some(x.cmp(y)),
        (Cell::Text(Some(x)), Cell::Text(Some(y))) => Some(x.cmp(y)),
        (Cell::Bool(Some(x)), Cell::Bool(Some(y))) => Some(x.cmp(y)),
        (Cell::Time(Some(x)), Cell::Time(Some(y))) => Some(x.cmp(y)),
        _ => None,
    }
}

fn matches_leaf(z: &Zammad, t: &Ticket, l: &Leaf) -> Result<bool, Refused> {
    if l.column.is_empty() {
        return Ok(true);
    }
    let c = cell(z, t, l)?;
    let op = l.operator.as_str();
    let values: Vec<Value> = match (&l.pre_user, &l.value) {
        (Some(Some(me)), _) => vec![Value::from(*me)],
        (Some(None), _) | (None, Value::Null) => {
            // `not_set` on a user relation also matches the system user (id 1).
            let unset = is_null(&c)
                || (l.pre_user.is_some() && l.column.ends_with("_id") && c == Cell::Int(Some(1)));
            return match op {
                "is" => Ok(unset),
                "is not" => Ok(!unset),
                _ => Err(Refused::Internal(format!(
                    "the simulator does not model {op} without a value"
                ))),
            };
        }
        (None, Value::Array(a)) => a.clone(),
        (None, v) => vec![v.clone()],
    };
    let has_blank = values.iter().any(|v| v.as_str() == Some(""));
    match op {
        "is" | "is not" => {
            let mut hit = false;
            for v in &values {
                if cast(&c, v)? == c && !is_null(&c) {
                    hit = true;
                }
            }
            Ok(match (op, has_blank) {
                ("is", false) => hit,
                ("is", true) => hit || is_null(&c),
                (_, true) => !is_null(&c) && !hit,
                _ => is_null(&c) || !hit,
            })
        }
        "after (absolute)" | "before (absolute)" => {
            let bound = cast(&c, values.first().unwrap_or(&Value::Null))?;
            let ord = compare(&c, &bound);
            Ok(match op {
                "after (absolute)" => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
                _ => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
            })
        }
        "contains" | "contains not" => {
            let needle = values
                .first()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .unwrap_or_default()
                .to_lowercase();
            let hay = match &c {
                Cell::Text(Some(s)) => Some(s.to_lowercase()),
                _ => None,
            };
            Ok(match (op, hay) {
                ("contains", Some(h)) => h.contains(&needle),
                ("contains not", Some(h)) => !h.contains(&needle),
                _ => false,
            })
        }
        other => Err(Refused::Internal(format!(
            "the simulator does not model the operator {other}"
        ))),
    }
}

fn matches(z: &Zammad, t: &Ticket, n: &Node) -> Result<bool, Refused> {
    match n {
        Node::Leaf(l) => matches_leaf(z, t, l),
        Node::Block { any, not, children } => {
            let mut results = Vec::with_capacity(children.len());
            for c in children {
                results.push(matches(z, t, c)?);
            }
            let joined = if *any {
                results.iter().any(|r| *r)
            } else {
                results.iter().all(|r| *r)
            };
            Ok(if *not { !joined } else { joined })
        }
    }
}

/// The text search without Elasticsearch: `title`, `number` and every article's body, from, to and
/// subject (a ticket without articles never matches: the query joins them).
fn matches_query(z: &Zammad, t: &Ticket, q: &str) -> bool {
    let q = q.to_lowercase();
    let has = |s: &str| s.to_lowercase().contains(&q);
    t.article_ids
        .iter()
        .filter_map(|id| z.articles.get(id))
        .any(|a| {
            has(&t.title)
                || has(&t.number)
                || has(&a.body)
                || has(&a.from)
                || has(&a.to)
                || a.subject.as_deref().is_some_and(has)
        })
}

/// The ids of the page, in order.
pub fn run(z: &Zammad, s: &Search) -> Result<Vec<u64>, Refused> {
    let mut hits: Vec<&Ticket> = Vec::new();
    for t in z.tickets.values() {
        if let Some(f) = &s.filter {
            if !matches(z, t, f)? {
                continue;
            }
        }
        if let Some(q) = &s.query {
            if !matches_query(z, t, q) {
                continue;
            }
        }
        hits.push(t);
    }
    hits.sort_by(|a, b| {
        for (col, asc) in &s.sort {
            let (ca, cb) = (a.column(col), b.column(col));
            let ord = match (ca.as_ref().map(is_null), cb.as_ref().map(is_null)) {
                // PostgreSQL puts NULLs last ascending and first descending.
                (Some(true), Some(false)) => Ordering::Greater,
                (Some(false), Some(true)) => Ordering::Less,
                _ => match (&ca, &cb) {
                    (Some(x), Some(y)) => compare(x, y).unwrap_or(Ordering::Equal),
                    _ => Ordering::Equal,
                },
            };
            let ord = if *asc { ord } else { ord.reverse() };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        a.id.cmp(&b.id)
    });
    let skip = usize::try_from(s.offset).unwrap_or(usize::MAX);
    let take = usize::try_from(s.limit).unwrap_or(0);
    Ok(hits
        .into_iter()
        .skip(skip)
        .take(take)
        .map(|t| t.id)
        .collect())
}

/// Rails' nested parameters from a query string: `a[b][c]=v` nests, a trailing `[]` collects.
pub fn rails_params(pairs: &[(String, String)]) -> Map<String, Value> {
    let mut root = Map::new();
    for (key, val) in pairs {
        let (head, rest) = match key.find('[') {
            Some(i) => (&key[..i], &key[i..]),
            None => (key.as_str(), ""),
        };
        let mut path: Vec<&str> = vec![head];
        let mut r = rest;
        while let Some(stripped) = r.strip_prefix('[') {
            let Some(end) = stripped.find(']') else { break };
            path.push(&stripped[..end]);
            r = &stripped[end + 1..];
        }
        insert(&mut root, &path, Value::String(val.clone()));
    }
    root
}

fn insert(map: &mut Map<String, Value>, path: &[&str], val: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    match rest {
        [] => {
            map.insert((*first).to_owned(), val);
        }
        [""] => {
            let slot = map
                .entry((*first).to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = slot {
                a.push(val);
            } else {
                *slot = Value::Array(vec![val]);
            }
        }
        _ => {
            let slot = map
                .entry((*first).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                insert(inner, rest, val);
            }
        }
    }
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
