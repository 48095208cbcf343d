//! Splitting a long markdown reply into Webex-sized messages (`markdown` ≤ 7,439 bytes, specs §5).
//!
//! Splits on line boundaries; a single overlong line is cut on a char boundary. A ``` code block cut in
//! two is closed at the end of one part and reopened (same info string) at the start of the next, so
//! every part renders on its own.

/// The Webex limit for `text`/`markdown`/`html`, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 7439;

/// Parts smaller than this cannot hold the fence bookkeeping; `max` is raised to it.
const MIN_PART: usize = 64;
const FENCE: &str = "```";
/// Bytes the closing fence may add: "\n```".
const CLOSE_LEN: usize = 4;
/// Longer opener lines are reopened as a bare fence.
const MAX_OPENER: usize = 32;

/// Splits `text` into parts of at most `max` bytes each.
pub fn split_markdown(text: &str, max: usize) -> Vec<String> {
    let max = max.max(MIN_PART);
    if text.len() <= max {
        return vec![text.to_owned()];
    }
    let mut s = Splitter {
        max,
        parts: Vec::new(),
        cur: String::new(),
        prefix_len: 0,
        fence: None,
    };
    for line in text.split_inclusive('\n') {
        s.push_line(line);
    }
    if s.cur.len() > s.prefix_len {
        s.parts.push(s.cur);
    }
    s.parts
}

struct Splitter {
    max: usize,
    parts: Vec<String>,
    cur: String,
    /// Length of the reopened fence at the start of `cur` (not content).
    prefix_len: usize,
    /// The opener of the code block open at the end of `cur`.
    fence: Option<String>,
}

impl Splitter {
    fn push_line(&mut self, line: &str) {
        let fence_after = if line.trim_start().starts_with(FENCE) {
            match self.fence {
                Some(_) => None,
                None => Some(opener(line)),
            }
        } else {
            self.fence.clone()
        };
        let reserve = if fence_after.is_some() { CLOSE_LEN } else { 0 };
        if self.cur.len() + line.len() + reserve <= self.max {
            self.cur.push_str(line);
            self.fence = fence_after;
            return;
        }
        if self.cur.len() > self.prefix_len {
            self.flush();
        }
        if self.cur.len() + line.len() + reserve <= self.max {
            self.cur.push_str(line);
            self.fence = fence_after;
            return;
        }
        // One line longer than a part: cut it, keeping the fence state it started in.
        let mut rest = line;
        while !rest.is_empty() {
            let reserve = if self.fence.is_some() { CLOSE_LEN } else { 0 };
            let room = self.max.saturating_sub(self.cur.len() + reserve);
            let mut take = room.min(rest.len());
            while take > 0 && !rest.is_char_boundary(take) {
                take -= 1;
            }
            if take == 0 {
                if self.cur.len() > self.prefix_len {
                    self.flush();
                    continue;
                }
                // Cannot happen with MIN_PART, but always make progress: one whole char.
                take = rest.chars().next().map_or(rest.len(), char::len_utf8);
            }
            self.cur.push_str(&rest[..take]);
            rest = &rest[take..];
            if !rest.is_empty() {
                self.flush();
            }
        }
        self.fence = fence_after;
    }

    fn flush(&mut self) {
        let mut part = std::mem::take(&mut self.cur);
        self.prefix_len = 0;
        if let Some(open) = &self.fence {
            if !part.ends_with('\n') {
                part.push('\n');
            }
            part.push_str(FENCE);
            self.cur = format!("{open}\n");
            self.prefix_len = self.cur.len();
        }
        self.parts.push(part);
    }
}

fn opener(line: &str) -> String {
    let t = line.trim();
    if t.len() <= MAX_OPENER {
        t.to_owned()
    } else {
        FENCE.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fences_balanced(part: &str) -> bool {
        part.lines()
            .filter(|l| l.trim_start().starts_with(FENCE))
            .count()
            % 2
            == 0
    }

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split_markdown("hello", MAX_MESSAGE_BYTES), vec!["hello"]);
        assert_eq!(split_markdown("", MAX_MESSAGE_BYTES), vec![""]);
        let exact = "x".repeat(MAX_MESSAGE_BYTES);
        assert_eq!(split_markdown(&exact, MAX_MESSAGE_BYTES).len(), 1);
    }

    #[test]
    fn splits_on_line_boundaries_at_the_limit() {
        let line = format!("{}\n", "a".repeat(99));
        let text = line.repeat(200); // 20,000 bytes
        let parts = split_markdown(&text, MAX_MESSAGE_BYTES);
        assert_eq!(parts.len(), 3);
        for p in &parts {
            assert!(p.len() <= MAX_MESSAGE_BYTES);
            assert!(p.ends_with('\n'));
        }
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn one_huge_multibyte_line_is_cut_on_char_boundaries() {
        let text = "é€😀".repeat(5000); // 9 bytes per repetition, no newline
        let parts = split_markdown(&text, MAX_MESSAGE_BYTES);
        assert!(parts.len() >= 7);
        for p in &parts {
            assert!(p.len() <= MAX_MESSAGE_BYTES && !p.is_empty());
        }
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn code_fences_stay_balanced() {
        let mut text = String::from("intro\n```text\n");
        for i in 0..400 {
            text.push_str(&format!("Gi1/0/{i} up up description here\n"));
        }
        text.push_str("```\noutro\n");
        let parts = split_markdown(&text, 2000);
        assert!(parts.len() > 3);
        for (k, p) in parts.iter().enumerate() {
            assert!(p.len() <= 2000, "part {k} is {} bytes", p.len());
            assert!(fences_balanced(p), "part {k}: {p}");
            if k > 0 && k + 1 < parts.len() {
                assert!(p.starts_with("```text\n"));
            }
        }
        assert!(parts.last().unwrap().ends_with("```\noutro\n"));
        let body: usize = parts.iter().map(|p| p.matches("Gi1/0/").count()).sum();
        assert_eq!(body, 400);
    }

    #[test]
    fn tiny_limits_still_progress() {
        let parts = split_markdown(&"😀".repeat(100), 1);
        assert!(parts.iter().all(|p| p.len() <= MIN_PART));
        assert_eq!(parts.concat(), "😀".repeat(100));
        let fenced = format!("```\n{}\n```\n", "y".repeat(500));
        for p in split_markdown(&fenced, 70) {
            assert!(p.len() <= 70 && fences_balanced(&p), "{p}");
        }
    }
}
