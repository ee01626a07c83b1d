//! A small Rust tokenizer, just enough to find the `unsafe` keyword and a
//! `#![forbid(unsafe_code)]` in code while skipping comments, string, byte,
//! raw and character literals and raw identifiers (`r#unsafe`), so a word in
//! a comment or a string cannot change the answer.

use std::path::{Path, PathBuf};

/// A token: an identifier or keyword, or one punctuation character.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Punct(char),
}

/// The tokens of `text` that matter here, each with its 1-based line;
/// literals and comments produce none.
fn tokens(text: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Advances past `chars[i]`, counting lines.
    let step = |i: &mut usize, line: &mut usize| {
        if chars[*i] == '\n' {
            *line += 1;
        }
        *i += 1;
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            // Block comments nest.
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    step(&mut i, &mut line);
                }
            }
        } else if c == '"' {
            // A string (a `b` or `c` prefix was read as a word before it).
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if i < chars.len() {
                    step(&mut i, &mut line);
                }
            }
            i += 1;
        } else if c == '\'' {
            if next == Some('\\') {
                // An escaped character: `'\n'`, `'\''`, `'\u{..}'`.
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                // A lifetime or a label: its name is a word, not a keyword
                // anyone writes, and harmless.
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let hashes = chars[i..].iter().take_while(|&&h| h == '#').count();
            let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
            if raw_prefix && chars.get(i + hashes) == Some(&'"') {
                // A raw string: ends at `"` followed by as many `#`.
                i += hashes + 1;
                while i < chars.len() {
                    if chars[i] == '"'
                        && chars[i + 1..].iter().take_while(|&&h| h == '#').count() >= hashes
                    {
                        i += 1 + hashes;
                        break;
                    }
                    step(&mut i, &mut line);
                }
            } else if word == "r" && hashes == 1 {
                // A raw identifier (`r#unsafe` is a name, not the keyword).
                i += 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            } else {
                out.push((Token::Word(word), line));
            }
        } else {
            if !c.is_whitespace() {
                out.push((Token::Punct(c), line));
            }
            step(&mut i, &mut line);
        }
    }
    out
}

/// The line of the first `unsafe` keyword in `text`'s code, if any.
pub(crate) fn first_unsafe(text: &str) -> Option<usize> {
    tokens(text)
        .into_iter()
        .find(|(t, _)| *t == Token::Word("unsafe".into()))
        .map(|(_, line)| line)
}

/// Whether `text` (a crate root) has an inner `#![forbid(..)]` attribute
/// that names `unsafe_code`.
pub(crate) fn forbids_unsafe_code(text: &str) -> bool {
    let tokens: Vec<Token> = tokens(text).into_iter().map(|(t, _)| t).collect();
    tokens.windows(5).enumerate().any(|(at, w)| {
        w == [
            Token::Punct('#'),
            Token::Punct('!'),
            Token::Punct('['),
            Token::Word("forbid".into()),
            Token::Punct('('),
        ] && tokens[at + 5..]
            .iter()
            .take_while(|t| **t != Token::Punct(')'))
            .any(|t| *t == Token::Word("unsafe_code".into()))
    })
}

/// The first `.rs` file under `dir` (searched recursively, in name order)
/// with an `unsafe` keyword in its code, and that keyword's line.
pub(crate) fn first_unsafe_in_dir(dir: &Path) -> Option<(PathBuf, usize)> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    entries.into_iter().find_map(|path| {
        if path.is_dir() {
            first_unsafe_in_dir(&path)
        } else if path.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&path).ok()?;
            first_unsafe(&text).map(|line| (path, line))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_keyword_in_code_only() {
        assert_eq!(first_unsafe("fn f() {\n    unsafe{ g() }\n}"), Some(2));
        assert_eq!(first_unsafe("unsafe impl Send for X {}"), Some(1));
        assert_eq!(first_unsafe("#[unsafe(no_mangle)]\nfn f() {}"), Some(1));
        let not_code = [
            "// unsafe code\nfn f() {}",
            "/// # Safety: unsafe \nfn f() {}",
            "/* outer /* unsafe */ still comment unsafe */ fn f() {}",
            r#"const S: &str = "unsafe { \" unsafe ";"#,
            r##"const S: &str = r#"unsafe "quoted" unsafe"#;"##,
            r#"const B: &[u8] = b"unsafe";"#,
            "fn f() { let r#unsafe = 1; }",
            "fn f<'a>(x: &'a u8) -> char { let _ = '\"'; '\\'' }",
            "const S: &str = \"a\nunsafe\";",
            "fn unsafe_ish() {} // is_unsafe",
        ];
        for text in not_code {
            assert_eq!(first_unsafe(text), None, "{text}");
        }
        // Lines keep counting through comments and literals.
        assert_eq!(first_unsafe("/* a\nb */ \"c\nd\"\nunsafe {}"), Some(4));
        assert_eq!(first_unsafe("let c = '\"';\nunsafe {}"), Some(2));
    }

    #[test]
    fn sees_a_forbid_attribute_but_not_one_in_a_comment() {
        assert!(forbids_unsafe_code(
            "//! Docs.\n#![forbid(unsafe_code)]\nfn f() {}"
        ));
        assert!(forbids_unsafe_code("#![forbid(missing_docs, unsafe_code)]"));
        assert!(!forbids_unsafe_code("// #![forbid(unsafe_code)]"));
        assert!(!forbids_unsafe_code("/* #![forbid(unsafe_code)] */"));
        assert!(!forbids_unsafe_code("#![deny(unsafe_code)]"));
        assert!(!forbids_unsafe_code(
            "#![forbid(missing_docs)] fn unsafe_code() {}"
        ));
    }
}
