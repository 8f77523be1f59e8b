//! Event descriptions are plain text: blank lines separate paragraphs, single line breaks
//! are kept, and web addresses become links. No markup from users ever reaches the page.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Link(String),
}

/// Paragraphs of lines of inline pieces.
pub fn paragraphs(text: &str) -> Vec<Vec<Vec<Inline>>> {
    let text = text.replace("\r\n", "\n");
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.lines().map(inlines).collect())
        .collect()
}

/// Splits a line into text and links; joining the pieces gives the line back.
pub fn inlines(line: &str) -> Vec<Inline> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = line;
    while let Some(start) = find_link_start(rest) {
        let (before, candidate) = rest.split_at(start);
        text.push_str(before);
        let end = candidate
            .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .unwrap_or(candidate.len());
        // Trailing punctuation ends the sentence, not the address.
        let link = candidate[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'']);
        let scheme = if link.starts_with("https://") { 8 } else { 7 };
        if link.len() <= scheme {
            text.push_str(&candidate[..end]);
        } else {
            if !text.is_empty() {
                pieces.push(Inline::Text(std::mem::take(&mut text)));
            }
            pieces.push(Inline::Link(link.to_owned()));
            text.push_str(&candidate[link.len()..end]);
        }
        rest = &candidate[end..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        pieces.push(Inline::Text(text));
    }
    pieces
}

fn find_link_start(text: &str) -> Option<usize> {
    match (text.find("https://"), text.find("http://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn joined(pieces: &[Inline]) -> String {
        pieces
            .iter()
            .map(|p| match p {
                Inline::Text(t) | Inline::Link(t) => t.as_str(),
            })
            .collect()
    }

    #[test]
    fn links_lose_trailing_punctuation() {
        assert_eq!(
            inlines("See https://rust-lang.org. Then go."),
            vec![
                Inline::Text("See ".into()),
                Inline::Link("https://rust-lang.org".into()),
                Inline::Text(". Then go.".into()),
            ]
        );
    }

    #[test]
    fn markup_stays_text() {
        assert_eq!(
            inlines("<script>alert(1)</script>"),
            vec![Inline::Text("<script>alert(1)</script>".into())]
        );
        assert_eq!(inlines("javascript:alert(1)").len(), 1);
    }

    #[test]
    fn paragraphs_and_lines() {
        let p = paragraphs("One\ntwo\r\n\r\n\n\nThree");
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].len(), 2);
    }

    proptest! {
        #[test]
        fn pieces_join_back_to_the_line(line in "[a-z :/.htps<>\"]{0,60}") {
            let pieces = inlines(&line);
            prop_assert_eq!(joined(&pieces), line);
            for piece in &pieces {
                if let Inline::Link(url) = piece {
                    prop_assert!(url.starts_with("http://") || url.starts_with("https://"));
                }
            }
        }
    }
}
