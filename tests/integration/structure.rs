//! Structure checks over src/: imports follow the layers listed in docs/ARCHITECTURE.md,
//! no import circles, database access only in the repositories (src/server/db/), and
//! small source files. Sources are read with a small tokenizer rather than regexes, so
//! comments, doc text and string contents never count as imports. Std only.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Where the layer list lives: its first fenced code block marked `layers`.
const LAYERS_DOC: &str = "docs/ARCHITECTURE.md";
const MAX_LINES: usize = 500;
/// The library's crate name: the binary (src/main.rs) reaches the library through it.
const LIB_CRATE: &str = "tickex";
/// `#[macro_export]` macros sit at the crate root but are defined in a module file, so a
/// crate-root path naming one (`crate::vars!`) is an import of that file.
const EXPORTED_MACROS: &[(&str, &str)] = &[("vars", "server/db/mod.rs")];
/// What marks a string literal as SurrealQL: an uppercase keyword followed by a space, or
/// a record constructor, each starting a word.
const SQL_KEYWORDS: &[&str] = &[
    "SELECT ", "UPDATE ", "CREATE ", "UPSERT ", "DELETE ", "RELATE ", "DEFINE ", "INSERT ",
];
const SQL_RECORD: &str = "type::record(";

// --- Reading the tree ---

/// Every .rs file under src/, relative to src/ with `/` separators, sorted.
fn source_files() -> Vec<String> {
    let src = Path::new(ROOT).join("src");
    let (mut dirs, mut files) = (vec![src.clone()], Vec::new());
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            let relative = path.strip_prefix(&src).unwrap().to_string_lossy();
            let name = relative.replace('\\', "/");
            if path.is_dir() {
                dirs.push(path);
            } else if name.ends_with(".rs") {
                files.push(name);
            }
        }
    }
    files.sort();
    files
}

fn read_src(file: &str) -> String {
    let path = Path::new(ROOT).join("src").join(file);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Module path of a file: lib.rs and main.rs are the root, a/mod.rs is [a], a/b.rs is [a, b].
fn module_path(file: &str) -> Vec<String> {
    let stem = file.trim_end_matches(".rs");
    let mut segments: Vec<String> = stem.split('/').map(String::from).collect();
    let last = segments.last().map(String::as_str);
    if last == Some("mod") || (segments.len() == 1 && matches!(last, Some("lib" | "main"))) {
        segments.pop();
    }
    segments
}

// --- Tokenizer ---

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    Punct,
    Str,
}

struct Token {
    kind: Kind,
    /// The identifier, the punctuation, or a string literal's contents (escapes kept as is).
    text: String,
    /// The line the token starts on (1-based).
    line: usize,
}

/// Identifiers, punctuation (`::` as one token) and string literals, in order. Comments,
/// char literals, lifetimes and whitespace are dropped.
fn tokenize(source: &str) -> Vec<Token> {
    let c: Vec<char> = source.chars().collect();
    let at = |k: usize| c.get(k).copied().unwrap_or('\0');
    // The first index from `k` on where `stop` holds, or the end.
    let find =
        |k: usize, stop: &dyn Fn(usize) -> bool| (k..c.len()).find(|&j| stop(j)).unwrap_or(c.len());
    let is_word = |x: char| x.is_alphanumeric() || x == '_';
    let (mut tokens, mut line, mut counted) = (Vec::new(), 1, 0);
    // A token with the text c[from..to], starting at index `start` (tokens come in order,
    // so the newlines are counted once).
    let mut push = |kind, from: usize, to: usize, start: usize| {
        line += c[counted..start].iter().filter(|&&x| x == '\n').count();
        counted = start;
        let text = c[from..to].iter().collect();
        tokens.push(Token { kind, text, line });
    };
    let mut i = 0;
    while i < c.len() {
        let (ch, next) = (c[i], at(i + 1));
        i = if ch.is_whitespace() {
            i + 1
        } else if ch == '/' && next == '/' {
            find(i, &|j| c[j] == '\n')
        } else if ch == '/' && next == '*' {
            // A block comment. Nested ones would end at the first `*/`; src/ has none.
            find(i + 2, &|j| c[j] == '*' && at(j + 1) == '/') + 2
        } else if let Some((hashes, body)) = raw_string_start(&c, i) {
            // r"..", r#".."#, br".." end at a quote followed by as many #s.
            let closes = |j: usize| c[j] == '"' && (1..=hashes).all(|h| at(j + h) == '#');
            let end = find(body, &closes);
            push(Kind::Str, body, end, i);
            end + 1 + hashes
        } else if ch == '"' || (matches!(ch, 'b' | 'c') && next == '"') {
            let body = if ch == '"' { i + 1 } else { i + 2 };
            // The first quote not escaped by an odd run of backslashes ends it.
            let escaped =
                |j: usize| c[body..j].iter().rev().take_while(|&&x| x == '\\').count() % 2 == 1;
            let end = find(body, &|j| c[j] == '"' && !escaped(j));
            push(Kind::Str, body, end, i);
            end + 1
        } else if ch == '\'' && (next == '\\' || at(i + 2) == '\'') {
            // A char literal ('x', '"', '\'', '\u{..}'): skipped so its quote starts nothing.
            find(if next == '\\' { i + 3 } else { i + 2 }, &|j| c[j] == '\'') + 1
        } else if ch == '\'' || is_word(ch) {
            // An identifier, keyword or number; a lifetime ('a) is skipped.
            let end = find(i + 1, &|j| !is_word(c[j]));
            if ch != '\'' {
                push(Kind::Ident, i, end, i);
            }
            end
        } else {
            let len = if ch == ':' && next == ':' { 2 } else { 1 };
            push(Kind::Punct, i, i + len, i);
            i + len
        };
    }
    tokens
}

/// If a raw string (r", r#", br", cr#") starts at `i`: its number of #s and where its body starts.
fn raw_string_start(c: &[char], i: usize) -> Option<(usize, usize)> {
    let r = if matches!(c[i], 'b' | 'c') { i + 1 } else { i };
    if c.get(r) != Some(&'r') {
        return None;
    }
    let hashes = c[r + 1..].iter().take_while(|&&x| x == '#').count();
    (c.get(r + 1 + hashes) == Some(&'"')).then_some((hashes, r + 2 + hashes))
}

// --- Import edges ---

/// An import of file `to` by file `from` (indices into the sorted source files).
struct Edge {
    from: usize,
    to: usize,
    line: usize,
    /// The import as written, e.g. `use crate::server::state::AppState`.
    text: String,
}

/// The source files and the imports between them.
fn import_graph() -> (Vec<String>, Vec<Edge>) {
    let files = source_files();
    // main.rs is a separate crate, so only the library's files answer module paths.
    let modules: HashMap<Vec<String>, usize> = (0..files.len())
        .filter(|&k| files[k] != "main.rs")
        .map(|k| (module_path(&files[k]), k))
        .collect();
    let lib = *modules.get(&Vec::new()).expect("src/lib.rs");
    let (mut edges, mut seen) = (Vec::new(), HashSet::new());
    for (from, file) in files.iter().enumerate() {
        for (path, line, text) in named_paths(file, &tokenize(&read_src(file))) {
            let to = resolve(&modules, lib, &path);
            if to != from && seen.insert((from, to, line)) {
                edges.push(Edge {
                    from,
                    to,
                    line,
                    text,
                });
            }
        }
    }
    (files, edges)
}

/// The file a library path points into: the longest prefix that is a module file.
fn resolve(modules: &HashMap<Vec<String>, usize>, lib: usize, path: &[String]) -> usize {
    let first = path.first().map_or("", String::as_str);
    let exported = EXPORTED_MACROS.iter().find(|(name, _)| *name == first);
    let prefixes = (1..=path.len()).rev().map(|k| path[..k].to_vec());
    let mut tries = prefixes.chain(exported.map(|(_, file)| module_path(file)));
    tries.find_map(|p| modules.get(&p).copied()).unwrap_or(lib)
}

/// Every library path a file names in `use` items or inline (`crate::a::f()`,
/// `super::b::g()`), made absolute: (path, line, text as written).
fn named_paths(file: &str, tokens: &[Token]) -> Vec<(Vec<String>, usize, String)> {
    let is_main = file == "main.rs";
    let mut module = module_path(file);
    // The module depth at each open `{`: an inline `mod name { .. }` deepens the module
    // that its `super::` and `self::` paths are relative to, until its `}`.
    let (mut braces, mut found, mut i) = (Vec::new(), Vec::new(), 0);
    while i < tokens.len() {
        let text_at = |k: usize| tokens.get(k).map_or("", |t| t.text.as_str());
        let kind_at = |k: usize| tokens.get(k).map(|t| t.kind);
        let (token, prev) = (&tokens[i], i.checked_sub(1).map_or("", text_at));
        match (token.kind, token.text.as_str()) {
            (Kind::Ident, "mod") if text_at(i + 2) == "{" => {
                braces.push(module.len());
                module.push(text_at(i + 1).to_string());
                i += 2;
            }
            (Kind::Punct, "{") => braces.push(module.len()),
            (Kind::Punct, "}") => module.truncate(braces.pop().unwrap_or(module.len())),
            (Kind::Ident, "use") => {
                let end = (i..tokens.len())
                    .find(|&k| tokens[k].text == ";")
                    .unwrap_or(tokens.len());
                let mut paths = Vec::new();
                expand_use(&tokens[i + 1..end], &[], &mut paths);
                for path in paths {
                    if let Some(absolute) = absolute(is_main, &module, &path) {
                        found.push((absolute, token.line, format!("use {}", path.join("::"))));
                    }
                }
                i = end;
            }
            // An inline path; `$crate::` (macros) and `pub(in crate::x)` are not imports.
            (Kind::Ident, first)
                if text_at(i + 1) == "::" && !matches!(prev, "::" | "$" | "in") =>
            {
                let mut path = vec![first.to_string()];
                while text_at(i + 1) == "::" && kind_at(i + 2) == Some(Kind::Ident) {
                    path.push(tokens[i + 2].text.clone());
                    i += 2;
                }
                if let Some(absolute) = absolute(is_main, &module, &path) {
                    found.push((absolute, token.line, path.join("::")));
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Expands a use tree (`a::{b, c::{self, D as E}, f::*}`) into full paths after `prefix`.
fn expand_use(tokens: &[Token], prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut depth = 0;
    let top_level_comma = |t: &Token| {
        depth += i32::from(t.text == "{") - i32::from(t.text == "}");
        depth == 0 && t.text == ","
    };
    for item in tokens.split(top_level_comma) {
        // A group runs from the item's first `{` to its last token, the closing brace.
        let brace = item.iter().position(|t| t.text == "{");
        let mut path = prefix.to_vec();
        // `as` renames and `*` globs the path before it; `self` in a group is its prefix.
        for token in &item[..brace.unwrap_or(item.len())] {
            match (token.kind, token.text.as_str()) {
                (_, "as" | "*") => break,
                (Kind::Ident, "self") if !path.is_empty() => {}
                (Kind::Ident, segment) => path.push(segment.to_string()),
                _ => {}
            }
        }
        match brace {
            Some(k) => expand_use(&item[k + 1..item.len() - 1], &path, out),
            None if item.is_empty() => {} // After a trailing comma.
            None => out.push(path),
        }
    }
}

/// Makes a path absolute within the library, or None when it names something else (std,
/// another crate, a local item). main.rs is its own crate: it reaches the library as
/// `tickex::`, and its own `crate::`/`super::` paths stay inside main.rs.
fn absolute(is_main: bool, module: &[String], path: &[String]) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    let mut base = match first.as_str() {
        root if is_main => return (root == LIB_CRATE).then(|| rest.to_vec()),
        "crate" => Vec::new(),
        "self" | "super" => module.to_vec(),
        _ => return None,
    };
    let supers = path.iter().take_while(|s| *s == "super").count();
    base.truncate(base.len().saturating_sub(supers));
    base.extend(path[supers.max(1)..].iter().cloned());
    Some(base)
}

// --- Layers ---

/// (layer, pattern) pairs from the first `layers` code block of docs/ARCHITECTURE.md.
fn layer_patterns() -> Vec<(u32, String)> {
    /// The info string of a code fence line (the word after the backticks).
    fn fence(line: &str) -> Option<&str> {
        line.trim().strip_prefix("```").map(str::trim)
    }
    let doc = fs::read_to_string(Path::new(ROOT).join(LAYERS_DOC))
        .unwrap_or_else(|e| panic!("read {LAYERS_DOC}, which holds the ```layers block: {e}"));
    let mut lines = doc.lines().skip_while(|l| fence(l) != Some("layers"));
    if lines.next().is_none() {
        panic!("{LAYERS_DOC} has no ```layers block");
    }
    let mut patterns = Vec::new();
    for line in lines.take_while(|l| fence(l).is_none()) {
        let (content, _comment) = line.split_once('#').unwrap_or((line, ""));
        let mut words = content.split_whitespace();
        let Some(number) = words.next() else { continue };
        let layer = number.parse().unwrap_or_else(|_| {
            panic!("{LAYERS_DOC}, ```layers block: `{line}` must start with a layer number")
        });
        patterns.extend(words.map(|w| (layer, w.to_string())));
    }
    patterns
}

/// How specifically a pattern matches a file: an exact file beats any glob, and among
/// globs (`folder/**`) the longest folder wins. None if it does not match.
fn specificity(pattern: &str, file: &str) -> Option<usize> {
    match pattern.strip_suffix("**") {
        Some(folder) => file.starts_with(folder).then_some(folder.len()),
        None => (pattern == file).then_some(usize::MAX),
    }
}

/// Each file's layer, plus problems with the list: unmatched files, stale or repeated patterns.
fn file_layers(files: &[String]) -> (Vec<u32>, Vec<String>) {
    let patterns = layer_patterns();
    let (mut problems, mut layers) = (Vec::new(), Vec::new());
    for file in files {
        // Only a pattern listed twice could tie, and that is reported below.
        let best = patterns
            .iter()
            .filter_map(|(layer, p)| Some((specificity(p, file)?, *layer)))
            .max_by_key(|&(specificity, _)| specificity);
        if best.is_none() {
            problems.push(format!("{file}: matched by no pattern"));
        }
        layers.push(best.map_or(0, |(_, layer)| layer));
    }
    for (k, (_, pattern)) in patterns.iter().enumerate() {
        if !files.iter().any(|f| specificity(pattern, f).is_some()) {
            problems.push(format!("`{pattern}` matches no file under src/ (stale?)"));
        }
        if patterns[..k].iter().any(|(_, p)| p == pattern) {
            problems.push(format!("`{pattern}` is listed more than once"));
        }
    }
    (layers, problems)
}

// --- The checks ---

#[test]
fn imports_follow_the_layers() {
    let (files, edges) = import_graph();
    let (layer, problems) = file_layers(&files);
    assert!(
        problems.is_empty(),
        "Every .rs file under src/ needs one layer in the ```layers block of {LAYERS_DOC} \
         (lines `<layer> <file.rs | folder/**> ...`, paths relative to src/, most specific \
         pattern wins). Problems:\n  {}",
        problems.join("\n  ")
    );
    let mut climbing = Vec::new();
    for e in edges.iter().filter(|e| layer[e.to] > layer[e.from]) {
        let (from, to, line, text) = (&files[e.from], &files[e.to], e.line, &e.text);
        let (n, m) = (layer[e.from], layer[e.to]);
        let import = format!("{from} (layer {n}) -> {to} (layer {m})   line {line}: {text}");
        climbing.push(import);
    }
    assert!(
        climbing.is_empty(),
        "A file may import only from its own layer or lower ones (the ```layers block of \
         {LAYERS_DOC}). Move the shared code down, pass it in from the caller, or update the \
         layer list if the design changed. Imports that climb (paths relative to src/):\n  {}",
        climbing.join("\n  ")
    );
}

#[test]
fn no_import_circles_between_files() {
    let (files, edges) = import_graph();
    let mut report = Vec::new();
    for circle in circles(files.len(), &edges) {
        let names: Vec<&str> = circle.iter().map(|&k| files[k].as_str()).collect();
        report.push(names.join(", "));
        let inside = |e: &&Edge| circle.contains(&e.from) && circle.contains(&e.to);
        for e in edges.iter().filter(inside) {
            let (from, to, line, text) = (&files[e.from], &files[e.to], e.line, &e.text);
            report.push(format!("    {from}:{line} -> {to}   {text}"));
        }
    }
    assert!(
        report.is_empty(),
        "Files under src/ import each other in a circle (directly or through others). Break \
         each circle: move what both sides need into a lower module, or pass it in from the \
         caller. Circles, each with the imports inside it:\n  {}",
        report.join("\n  ")
    );
}

/// Strongly connected components with more than one file: the files that reach each
/// other. Reachability from every file is simple, and fast for a few hundred files.
fn circles(n: usize, edges: &[Edge]) -> Vec<Vec<usize>> {
    let reach: Vec<Vec<bool>> = (0..n)
        .map(|from| {
            let (mut seen, mut todo) = (vec![false; n], vec![from]);
            while let Some(v) = todo.pop() {
                for e in edges.iter().filter(|e| e.from == v) {
                    if !std::mem::replace(&mut seen[e.to], true) {
                        todo.push(e.to);
                    }
                }
            }
            seen
        })
        .collect();
    let mut found = Vec::new();
    for (v, from_v) in reach.iter().enumerate() {
        let circle: Vec<usize> = (0..n).filter(|&w| from_v[w] && reach[w][v]).collect();
        // Each circle once, from its first file (in it, as v is on a circle then).
        if circle.len() > 1 && circle[0] == v {
            found.push(circle);
        }
    }
    found
}

#[test]
fn database_access_stays_in_the_repositories() {
    let mut findings = Vec::new();
    let files = source_files();
    for file in files.iter().filter(|f| !f.starts_with("server/db/")) {
        let tokens = tokenize(&read_src(file));
        let texts: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
        for (k, token) in tokens.iter().enumerate() {
            // k - 1 wraps at the start, and then `get` finds nothing.
            if texts.get(k.wrapping_sub(1)..k + 2) == Some(&[".", "execute", "("][..]) {
                findings.push(format!("src/{file}:{}: `.execute(` call", token.line));
            }
            if let Some((lines_in, keyword)) = surrealql(token) {
                let line = token.line + lines_in;
                findings.push(format!("src/{file}:{line}: SurrealQL string (`{keyword}`)"));
            }
        }
    }
    assert!(
        findings.is_empty(),
        "Database access belongs in the repositories under src/server/db/: outside them, no \
         `.execute(` calls and no SurrealQL strings. Add or extend a repository method there \
         and call it instead:\n  {}",
        findings.join("\n  ")
    );
}

/// The first SurrealQL marker in a string literal: (lines before it, the marker).
fn surrealql(token: &Token) -> Option<(usize, &str)> {
    let text = (token.kind == Kind::Str).then_some(token.text.as_str())?;
    let starts_word = |at: usize| !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
    let markers = SQL_KEYWORDS.iter().chain(&[SQL_RECORD]);
    let found = markers.flat_map(|&marker| text.match_indices(marker));
    let (at, marker) = found.filter(|&(at, _)| starts_word(at)).min()?;
    Some((text[..at].matches('\n').count(), marker.trim_end()))
}

#[test]
fn source_files_stay_small() {
    let mut too_long = Vec::new();
    for file in source_files() {
        let name = file.rsplit('/').next().unwrap_or_default();
        let lines = read_src(&file).lines().count();
        if lines > MAX_LINES && name != "tests.rs" && !name.ends_with("_tests.rs") {
            too_long.push(format!("src/{file}: {lines} lines"));
        }
    }
    assert!(
        too_long.is_empty(),
        "Source files under src/ stay at {MAX_LINES} lines or fewer (unit tests may move to a \
         `tests.rs` or `*_tests.rs` file beside the code, which is exempt). Split these:\n  {}",
        too_long.join("\n  ")
    );
}
