//! The linker-script lexer. Like ld's, it is modal: in an expression `a-b` is three tokens,
//! in a section list `.text.*` and `*crtbegin?.o` are one; the parser says which it wants.

/// What kind of name the parser expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Expressions: symbol names (no `-`), numbers, operators.
    Expr,
    /// Commands, file and output-section names (`-` and `+` allowed inside).
    Script,
    /// Input section descriptions: wildcard patterns, `archive:member`.
    Wild,
}

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Name(String),
    /// A number: its text and value.
    Number(String, u64),
    Str(String),
    /// Punctuation and operators: `{`, `>>=`, `&&`, ...
    Punct(&'static str),
    Eof,
}

/// A lexer over one script's bytes.
pub struct Lexer<'t> {
    text: &'t [u8],
    pos: usize,
    line: usize,
    line_start: usize,
    /// (line, column) where the last token taken by [`Lexer::next`] starts.
    pub last: (usize, usize),
}

/// A lexing error: (line, column, message).
pub type LexError = (usize, usize, String);

const PUNCTS: &[&str] = &[
    "<<=", ">>=", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "&=",
    "|=", "{", "}", "(", ")", ";", ",", ":", "=", "<", ">", "!", "~", "+", "-", "*", "/", "%", "&",
    "|", "^", "?",
];

impl<'t> Lexer<'t> {
    pub fn new(text: &'t [u8]) -> Self {
        Lexer {
            text,
            pos: 0,
            line: 1,
            line_start: 0,
            last: (1, 1),
        }
    }

    /// The lexer's position, to look further ahead and come back.
    pub fn clone_state(&self) -> (usize, usize, usize) {
        (self.pos, self.line, self.line_start)
    }

    /// Returns to a position taken by [`Lexer::clone_state`].
    pub fn restore(&mut self, state: (usize, usize, usize)) {
        (self.pos, self.line, self.line_start) = state;
    }

    /// (line, column) of the next token (after whitespace and comments).
    pub fn position(&mut self) -> Result<(usize, usize), LexError> {
        self.skip_space()?;
        Ok((self.line, self.pos - self.line_start + 1))
    }

    /// The next token without consuming it.
    pub fn peek(&mut self, mode: Mode) -> Result<Tok, LexError> {
        let saved = (self.pos, self.line, self.line_start, self.last);
        let t = self.next(mode);
        (self.pos, self.line, self.line_start, self.last) = saved;
        t
    }

    /// The next token.
    pub fn next(&mut self, mode: Mode) -> Result<Tok, LexError> {
        self.skip_space()?;
        self.last = (self.line, self.pos - self.line_start + 1);
        let Some(&c) = self.text.get(self.pos) else {
            return Ok(Tok::Eof);
        };
        if c == b'"' {
            return self.string();
        }
        if c.is_ascii_digit() && mode != Mode::Wild {
            return Ok(self.number());
        }
        if is_name_start(c, mode) {
            let start = self.pos;
            while self
                .text
                .get(self.pos)
                .is_some_and(|&b| is_name_char(b, mode))
            {
                self.pos += 1;
            }
            // A lone `*` or `?` in expression mode is an operator, not a name.
            return Ok(Tok::Name(
                crate::text::lossy(&self.text[start..self.pos]).into_owned(),
            ));
        }
        // Only the punctuators that start with `c` are compared (each comparison is a
        // memcmp call: a fifth of the built-in script's lexing went to them).
        for p in PUNCTS.iter().filter(|p| p.as_bytes()[0] == c) {
            if self.text[self.pos..].starts_with(p.as_bytes()) {
                self.pos += p.len();
                return Ok(Tok::Punct(p));
            }
        }
        Err(self.error(format!("unexpected character `{}`", char::from(c))))
    }

    fn error(&self, msg: String) -> LexError {
        (self.line, self.pos - self.line_start + 1, msg)
    }

    fn skip_space(&mut self) -> Result<(), LexError> {
        loop {
            match self.text.get(self.pos) {
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                Some(c) if c.is_ascii_whitespace() => self.pos += 1,
                Some(b'/') if self.text.get(self.pos + 1) == Some(&b'*') => {
                    let (line, col) = (self.line, self.pos - self.line_start + 1);
                    self.pos += 2;
                    loop {
                        match self.text.get(self.pos) {
                            None => {
                                return Err((line, col, "unterminated comment".into()));
                            }
                            Some(b'*') if self.text.get(self.pos + 1) == Some(&b'/') => {
                                self.pos += 2;
                                break;
                            }
                            Some(b'\n') => {
                                self.pos += 1;
                                self.line += 1;
                                self.line_start = self.pos;
                            }
                            Some(_) => self.pos += 1,
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn string(&mut self) -> Result<Tok, LexError> {
        let (line, col) = (self.line, self.pos - self.line_start + 1);
        self.pos += 1;
        let start = self.pos;
        while let Some(&b) = self.text.get(self.pos) {
            if b == b'"' {
                let s = crate::text::lossy(&self.text[start..self.pos]).into_owned();
                self.pos += 1;
                return Ok(Tok::Str(s));
            }
            if b == b'\n' {
                break;
            }
            self.pos += 1;
        }
        Err((line, col, "unterminated string".into()))
    }

    fn number(&mut self) -> Tok {
        let start = self.pos;
        while self
            .text
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_alphanumeric())
        {
            self.pos += 1;
        }
        let text = crate::text::lossy(&self.text[start..self.pos]).into_owned();
        let value = number_value(&text);
        Tok::Number(text, value.unwrap_or(0))
    }
}

/// The value of an ld number: `0x10`, `$10`, `10h`, `017`, `4K`, `1M`.
pub fn number_value(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let (body, scale) = if let Some(b) = lower.strip_suffix('k') {
        (b, 1024)
    } else if let Some(b) = lower.strip_suffix('m') {
        (b, 1024 * 1024)
    } else {
        (lower.as_str(), 1)
    };
    let v = if let Some(h) = body.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()?
    } else if let Some(h) = body.strip_suffix('h') {
        u64::from_str_radix(h, 16).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        u64::from_str_radix(body, 8).ok()?
    } else {
        body.parse().ok()?
    };
    v.checked_mul(scale)
}

pub(crate) fn is_name_start(c: u8, mode: Mode) -> bool {
    c.is_ascii_alphabetic()
        || matches!(c, b'_' | b'.' | b'$' | b'\\')
        || (mode != Mode::Expr && matches!(c, b'/' | b'~'))
        || (mode == Mode::Wild && matches!(c, b'*' | b'?' | b'[' | b'-' | b'0'..=b'9'))
}

pub(crate) fn is_name_char(c: u8, mode: Mode) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, b'_' | b'.' | b'$' | b'\\')
        || (mode != Mode::Expr && matches!(c, b'/' | b'~' | b'-' | b'+'))
        || (mode == Mode::Wild && matches!(c, b'*' | b'?' | b'[' | b']' | b'^' | b'!' | b':'))
}

/// True when `s` lexes as one name in `mode` (else it must be written quoted).
pub(crate) fn is_plain_name(s: &str, mode: Mode) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && is_name_start(b[0], mode)
        && !(mode != Mode::Wild && b[0].is_ascii_digit())
        && b.iter().all(|&c| is_name_char(c, mode))
        && !s.contains("/*")
}
