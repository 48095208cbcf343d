//! "Did you mean": the closest known words to a mistyped one, by edit distance with transpositions
//! (so `shwo` is one edit from `show`) and by prefix (`appr` for `approve`).

/// Words longer than this get no suggestion: nothing we know is that long, and it bounds the work.
const MAX_WORD: usize = 40;

/// The suggestions for `word` among `candidates`, each a (word to compare, word to suggest) pair.
/// Returns the suggestions at the best distance, without duplicates, in candidate order, at most 3.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<&'a str> {
    let word: Vec<char> = word.chars().map(|c| c.to_ascii_lowercase()).collect();
    if word.is_empty() || word.len() > MAX_WORD {
        return Vec::new();
    }
    let limit = match word.len() {
        1 => 0,
        2..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let mut best: Vec<&'a str> = Vec::new();
    let mut best_score = usize::MAX;
    for (key, suggestion) in candidates {
        if !key.chars().any(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        let key: Vec<char> = key.chars().map(|c| c.to_ascii_lowercase()).collect();
        if key == word {
            // A known word is not a typo: nothing to suggest.
            return Vec::new();
        }
        let prefix = word.len() >= 2 && key.starts_with(&word);
        let score = if prefix { 1 } else { distance(&word, &key) };
        if score > limit && !prefix {
            continue;
        }
        if score < best_score {
            best_score = score;
            best.clear();
        }
        if score == best_score && !best.contains(&suggestion) {
            best.push(suggestion);
        }
    }
    best.truncate(3);
    best
}

/// "did you mean `a`?" / "did you mean `a` or `b`?", or nothing.
pub fn phrase(suggestions: &[&str]) -> Option<String> {
    let quoted: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [init @ .., last] => Some(format!("did you mean {} or {last}?", init.join(", "))),
    }
}

/// Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.
fn distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * width] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = v;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: &[(&str, &str)] = &[
        ("help", "help"),
        ("?", "help"),
        ("vrf", "vrf"),
        ("show", "show"),
        ("sh", "show"),
        ("status", "status"),
        ("approve", "approve"),
        ("decline", "decline"),
        ("deny", "decline"),
    ];

    fn dym(w: &str) -> Vec<&'static str> {
        did_you_mean(w, WORDS.iter().copied())
    }

    #[test]
    fn distance_counts_swaps_as_one() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(distance(&c("shwo"), &c("show")), 1);
        assert_eq!(distance(&c("vfr"), &c("vrf")), 1);
        assert_eq!(distance(&c("intrface"), &c("interface")), 1);
        assert_eq!(distance(&c(""), &c("abc")), 3);
        assert_eq!(distance(&c("kitten"), &c("sitting")), 3);
    }

    #[test]
    fn typos_and_prefixes_find_the_command() {
        assert_eq!(dym("shwo"), ["show"]);
        assert_eq!(dym("SHW"), ["show"]);
        assert_eq!(dym("vfr"), ["vrf"]);
        assert_eq!(dym("hlep"), ["help"]);
        assert_eq!(dym("stauts"), ["status"]);
        assert_eq!(dym("appr"), ["approve"]);
        assert_eq!(dym("de"), ["decline"]);
    }

    #[test]
    fn far_or_odd_words_get_nothing() {
        assert!(dym("x").is_empty());
        assert!(dym("configure").is_empty());
        assert!(dym("").is_empty());
        assert!(dym(&"a".repeat(500)).is_empty());
        assert!(dym("😀😀").is_empty());
        assert!(dym("show").is_empty(), "an exact word is not a typo");
    }

    #[test]
    fn phrases_read_naturally() {
        assert_eq!(phrase(&[]), None);
        assert_eq!(phrase(&["show"]).unwrap(), "did you mean `show`?");
        assert_eq!(
            phrase(&["a", "b", "c"]).unwrap(),
            "did you mean `a`, `b` or `c`?"
        );
    }
}
