//! Users: roles, usernames and the password rule.

use serde::Serialize;
use std::fmt;

use crate::choice;
use crate::validation::{bounded_text, pick, Invalid, ValidationErrors};

choice!(Role {
    Investigator => "investigator",
    Supervisor => "supervisor",
    Auditor => "auditor",
    Admin => "admin",
});

/// Login name: 3–64 lowercase letters, digits, `.`, `_` or `-`, starting
/// with a letter, so it is unambiguous in audit reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let name = value.trim().to_ascii_lowercase();
        let len = name.chars().count();
        if !(3..=64).contains(&len) {
            return Err("must be 3 to 64 characters".into());
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err("must start with a letter".into());
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err("may contain only letters, digits, `.`, `_` and `-`".into());
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const DISPLAY_NAME_MAX: usize = 200;

/// Failed logins in a row that lock an account.
pub const MAX_FAILED_LOGINS: i32 = 5;
/// How long a locked account refuses every login, right password or not.
pub const LOCKOUT: chrono::Duration = chrono::Duration::minutes(10);
pub const PASSWORD_MIN_CHARS: usize = 15;
/// Bounds the work an attacker can make the server do per login attempt.
pub const PASSWORD_MAX_CHARS: usize = 256;

pub fn parse_display_name(value: &str) -> Result<String, Invalid> {
    bounded_text(value, DISPLAY_NAME_MAX)
}

/// NIST SP 800-63B style: long enough, no composition rules, and not
/// guessable — judged by zxcvbn with the account's own names as hints.
pub fn check_password(password: &str, hints: &[&str]) -> Result<(), Invalid> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(format!(
            "must be at least {PASSWORD_MIN_CHARS} characters (a passphrase of several words works well)"
        ).into());
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(format!("must be at most {PASSWORD_MAX_CHARS} characters").into());
    }
    let estimate = zxcvbn::zxcvbn(password, hints);
    if (estimate.score() as u8) < 3 {
        return Err(
            "is too easy to guess (common words, sequences, repeats or your own names); choose a less predictable passphrase"
                .into(),
        );
    }
    Ok(())
}

/// A validated request to create a user account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub display_name: String,
    pub role: Role,
}

impl NewUser {
    pub fn parse(
        username: &str,
        display_name: &str,
        role: &str,
        password: &str,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let username = errors.check("username", Username::parse(username));
        let display_name = errors.check("display_name", parse_display_name(display_name));
        let role = errors.check("role", pick::<Role>(role));
        let hints = [
            username.as_ref().map_or("", |u| u.as_str()),
            display_name.as_deref().unwrap_or(""),
        ];
        errors.check("password", check_password(password, &hints));
        match (username, display_name, role) {
            (Some(username), Some(display_name), Some(role)) if errors.is_empty() => Ok(Self {
                username,
                display_name,
                role,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_bounded() {
        assert_eq!(Username::parse(" J.Doe ").unwrap().as_str(), "j.doe");
        for bad in ["ab", "1abc", "john doe", "jöhn", &"a".repeat(65)] {
            assert!(Username::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn short_passwords_are_refused() {
        let err = check_password("Xk9#mQ2!vL", &[]).unwrap_err();
        assert!(err.message().contains("15"));
    }

    #[test]
    fn long_but_guessable_passwords_are_refused() {
        for weak in [
            "passwordpassword",
            "aaaaaaaaaaaaaaaaaaaa",
            "123456789012345678",
            "qwertyuiopasdfgh",
        ] {
            assert!(
                check_password(weak, &[]).is_err(),
                "{weak} should be refused"
            );
        }
        assert!(check_password("jdoe-investigator-2026", &["jdoe-investigator"]).is_err());
    }

    #[test]
    fn passphrases_are_accepted_without_composition_rules() {
        assert!(check_password("correct horse battery staple lagoon", &[]).is_ok());
        assert!(check_password("violet tractor umbrella quietly", &[]).is_ok());
    }

    #[test]
    fn overlong_passwords_are_refused() {
        assert!(check_password(&"tractor umbrella ".repeat(20), &[]).is_err());
    }

    #[test]
    fn new_user_reports_each_field() {
        let errors = NewUser::parse("x", "", "boss", "short").unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["username", "display_name", "role", "password"]);
    }
}
