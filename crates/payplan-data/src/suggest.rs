//! "Did you mean" hints for misspelled names.

/// The candidate closest to `name` when it is close enough to be a likely typo:
/// equal but for case or surrounding spaces, or a small edit away.
pub(crate) fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let folded = fold(name);
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = if fold(candidate) == folded { 0 } else { edit_distance(&folded, &fold(candidate)) };
        // Ties keep the first candidate, so the answer follows the caller's order.
        if distance <= limit && best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// The candidate equal to `name` but for case or surrounding spaces (for ids, where a
/// one-letter difference is more likely another id than a typo). The loader finds it
/// through a table of folded ids instead (`KnownIds::case_twin` in validate.rs); this is
/// the definition that table is tested against.
#[cfg(test)]
pub(crate) fn same_but_for_case<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let folded = fold(name);
    candidates.into_iter().find(|candidate| fold(candidate) == folded)
}

pub(crate) fn fold(text: &str) -> String {
    text.trim().to_lowercase()
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous.get(j).copied().unwrap_or(usize::MAX).saturating_add(usize::from(ca != *cb));
            let deletion = previous.get(j + 1).copied().unwrap_or(usize::MAX).saturating_add(1);
            let insertion = current.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            current.push(substitution.min(deletion).min(insertion));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(closest("boookings", ["payees", "bookings"]), Some("bookings"));
        assert_eq!(closest("Date", ["id", "date"]), Some("date"));
        assert_eq!(closest("metric", ["metrics", "quotas"]), Some("metrics"));
        assert_eq!(closest("zed", ["bob", "alice"]), None);
        assert_eq!(same_but_for_case("Alice ", ["bob", "alice"]), Some("alice"));
        assert_eq!(same_but_for_case("alicia", ["alice"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
