//! Money is an integer amount of minor units (cents) plus a currency. Never a float.
use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency code, upper case, three ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("A currency is a three-letter code such as EUR or USD.")]
    InvalidCurrency,
    #[error("Enter an amount such as 12 or 12.50.")]
    InvalidAmount,
    #[error("That amount is too large.")]
    TooLarge,
}

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");
    pub const USD: Currency = Currency(*b"USD");
    pub const GBP: Currency = Currency(*b"GBP");

    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let code = code.trim();
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(MoneyError::InvalidCurrency);
        }
        Ok(Currency([
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ]))
    }

    pub fn code(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point (ISO 4217 exponent) for the currencies we format.
    pub fn exponent(&self) -> u32 {
        match self.code() {
            "JPY" | "KRW" | "ISK" | "CLP" | "VND" | "XAF" | "XOF" | "HUF" => 0,
            "BHD" | "JOD" | "KWD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }

    fn symbol(&self) -> Option<&'static str> {
        match self.code() {
            "EUR" => Some("€"),
            "USD" => Some("$"),
            "GBP" => Some("£"),
            "JPY" => Some("¥"),
            _ => None,
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.code().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }

    /// Parses a decimal amount in major units ("12", "12.5", "12.50") without floats.
    pub fn parse_major(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let text = text.trim();
        let exponent = currency.exponent() as usize;
        let (whole, fraction) = match text.split_once(['.', ',']) {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) {
            return Err(MoneyError::InvalidAmount);
        }
        if fraction.len() > exponent {
            return Err(MoneyError::InvalidAmount);
        }
        let whole: i64 = whole.parse().map_err(|_| MoneyError::TooLarge)?;
        let padded = format!("{fraction:0<exponent$}");
        let fraction: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| MoneyError::InvalidAmount)?
        };
        let minor = whole
            .checked_mul(10_i64.pow(exponent as u32))
            .and_then(|m| m.checked_add(fraction))
            .ok_or(MoneyError::TooLarge)?;
        Ok(Money { minor, currency })
    }

    /// The amount without symbol, e.g. "12.50"; what `parse_major` reads back.
    pub fn format_plain(&self) -> String {
        let exponent = self.currency.exponent();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10_u64.pow(exponent);
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exponent as usize
        )
    }

    pub fn checked_mul(&self, quantity: u32) -> Option<Money> {
        self.minor
            .checked_mul(i64::from(quantity))
            .map(|minor| Money::new(minor, self.currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.currency.symbol() {
            Some(symbol) if self.minor < 0 => {
                write!(f, "-{symbol}{}", &self.format_plain()[1..])
            }
            Some(symbol) => write!(f, "{symbol}{}", self.format_plain()),
            None => write!(f, "{} {}", self.format_plain(), self.currency),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_with_symbol_and_exponent() {
        assert_eq!(Money::new(1250, Currency::EUR).to_string(), "€12.50");
        assert_eq!(Money::new(5, Currency::USD).to_string(), "$0.05");
        assert_eq!(
            Money::new(1500, Currency::parse("jpy").unwrap()).to_string(),
            "¥1500"
        );
        assert_eq!(
            Money::new(100, Currency::parse("CHF").unwrap()).to_string(),
            "1.00 CHF"
        );
        assert_eq!(Money::new(-250, Currency::GBP).to_string(), "-£2.50");
    }

    #[test]
    fn parses_major_units_without_floats() {
        let eur = Currency::EUR;
        assert_eq!(Money::parse_major("12", eur).unwrap().minor(), 1200);
        assert_eq!(Money::parse_major("12.5", eur).unwrap().minor(), 1250);
        assert_eq!(Money::parse_major(" 0,99 ", eur).unwrap().minor(), 99);
        assert_eq!(
            Money::parse_major("12.505", eur),
            Err(MoneyError::InvalidAmount)
        );
        assert_eq!(
            Money::parse_major("-1", eur),
            Err(MoneyError::InvalidAmount)
        );
        assert_eq!(Money::parse_major("", eur), Err(MoneyError::InvalidAmount));
        assert_eq!(
            Money::parse_major("1e3", eur),
            Err(MoneyError::InvalidAmount)
        );
        assert_eq!(
            Money::parse_major("99999999999999999999", eur),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn currency_codes_are_validated() {
        assert_eq!(Currency::parse("usd").unwrap(), Currency::USD);
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("E1R").is_err());
        assert!(Currency::parse("€").is_err());
    }

    proptest! {
        #[test]
        fn plain_format_parses_back(minor in 0_i64..=i64::MAX / 1000, code in "(EUR|USD|JPY|KWD)") {
            let currency = Currency::parse(&code).unwrap();
            let money = Money::new(minor, currency);
            prop_assert_eq!(Money::parse_major(&money.format_plain(), currency).unwrap(), money);
        }
    }
}
