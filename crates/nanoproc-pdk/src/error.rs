//! The error type plugin functions return.

use std::fmt;

/// The error a plugin function returns to fail the call.
///
/// When an exported function returns `Err(e)`, the export glue hands `e`'s message to the host
/// (the `nanoproc::fail` import) and the call fails with exactly that message.
///
/// `Error` converts from a `String`, a `&str` or any [`std::error::Error`] (such as
/// [`std::io::Error`] or [`serde_json::Error`]), so `?` works on all of them:
///
/// ```
/// use nanoproc_pdk::{Error, Result};
///
/// fn parse(input: Vec<u8>) -> Result<u32> {
///     let text = String::from_utf8(input)?; // FromUtf8Error
///     if text.is_empty() {
///         return Err("empty input".into()); // &str
///     }
///     text.trim().parse::<u32>().map_err(|e| Error::new(format!("not a number: {e}")))
/// }
///
/// assert_eq!(parse(b"42".to_vec()).expect("a number"), 42);
/// assert_eq!(parse(Vec::new()).expect_err("empty").message(), "empty input");
/// ```
///
/// Like `anyhow::Error`, `Error` deliberately does not implement [`std::error::Error`] itself:
/// that is what lets it convert from every type that does.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// Creates an error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message the call fails with.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Consumes the error, returning its message.
    pub fn into_message(self) -> String {
        self.message
    }
}

/// Anything that converts into a boxed standard error: `String`, `&str`, `Cow<str>` and every
/// type implementing [`std::error::Error`]. The message is the value's `Display` output.
impl<E> From<E> for Error
where
    E: Into<Box<dyn std::error::Error>>,
{
    fn from(error: E) -> Self {
        Self::new(error.into().to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Error").field(&self.message).finish()
    }
}

/// `Result<T, nanoproc_pdk::Error>`, the return type of plugin functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_from_strings_and_std_errors() {
        assert_eq!(Error::from("a").message(), "a");
        assert_eq!(Error::from(String::from("b")).message(), "b");
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such thing");
        assert_eq!(Error::from(io).message(), "no such thing");
        let json = serde_json::from_str::<u8>("x").expect_err("not JSON");
        assert_eq!(
            Error::from(json).to_string(),
            "expected value at line 1 column 1"
        );
        assert_eq!(Error::new("c").into_message(), "c");
        assert_eq!(format!("{:?}", Error::new("d")), "Error(\"d\")");
    }

    #[test]
    fn question_mark_works() {
        fn f() -> Result<()> {
            String::from_utf8(vec![0xff])?;
            Ok(())
        }
        assert!(
            f().expect_err("bad UTF-8")
                .message()
                .contains("invalid utf-8")
        );
    }
}
