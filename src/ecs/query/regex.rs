//! Java regular expressions (`=~`) checked against what Rust's regex crate supports.

/// Rejects the Java regular-expression constructs Rust's regex crate lacks, so that
/// such a pattern is an error rather than a silent mismatch.
pub fn check_java_regex(pattern: &str) -> Result<(), String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\\' {
            match next {
                Some(d @ '1'..='9') if !in_class => {
                    return Err(format!(
                        "back-reference `\\{d}` is not supported (Rust's regex crate has no back-references)"
                    ));
                }
                Some('k') if chars.get(i + 2) == Some(&'<') => {
                    return Err("named back-reference `\\k<…>` is not supported".into());
                }
                Some('Q') => {
                    return Err("quoting with `\\Q…\\E` is not supported: escape each character instead".into());
                }
                Some('G') => return Err("`\\G` is not supported".into()),
                Some('Z') => return Err("`\\Z` is not supported: use `$`".into()),
                _ => {}
            }
            i += 2;
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
            i += 1;
            continue;
        }
        match c {
            '[' => in_class = true,
            '(' if next == Some('?') => {
                let rest: String = chars[i + 2..].iter().take(3).collect();
                if rest.starts_with('=') || rest.starts_with('!') || rest.starts_with("<=") || rest.starts_with("<!") {
                    return Err("look-around `(?=`, `(?!`, `(?<=`, `(?<!` is not supported (Rust's regex crate has no look-around)".into());
                }
                if rest.starts_with('>') {
                    return Err("atomic group `(?>…)` is not supported".into());
                }
            }
            '*' | '+' | '?' | '}' if next == Some('+') => {
                return Err(format!("possessive quantifier `{c}+` is not supported"));
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}
