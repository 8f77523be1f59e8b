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
    #[error("Payments in that currency are not possible; choose another, such as EUR or USD.")]
    Unsupported,
}

/// The currencies Stripe charges in (its presentment currencies, lower case as its API
/// wants them), sorted for a binary search.
const STRIPE_CURRENCIES: [&str; 140] = [
    "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt",
    "bgn", "bhd", "bif", "bmd", "bnd", "bob", "brl", "bsd", "bwp", "byn", "bzd", "cad", "cdf",
    "chf", "clp", "cny", "cop", "crc", "cve", "czk", "djf", "dkk", "dop", "dzd", "egp", "etb",
    "eur", "fjd", "fkp", "gbp", "gel", "gip", "gmd", "gnf", "gtq", "gyd", "hkd", "hnl", "htg",
    "huf", "idr", "ils", "inr", "isk", "jmd", "jod", "jpy", "kes", "kgs", "khr", "kmf", "krw",
    "kwd", "kyd", "kzt", "lak", "lbp", "lkr", "lrd", "lsl", "mad", "mdl", "mga", "mkd", "mmk",
    "mnt", "mop", "mur", "mvr", "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok", "npr",
    "nzd", "omr", "pab", "pen", "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd", "rub",
    "rwf", "sar", "sbd", "scr", "sek", "sgd", "shp", "sle", "sos", "srd", "std", "szl", "thb",
    "tjs", "tnd", "top", "try", "ttd", "twd", "tzs", "uah", "ugx", "usd", "uyu", "uzs", "vnd",
    "vuv", "wst", "xaf", "xcd", "xcg", "xof", "xpf", "yer", "zar", "zmw",
];

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

    /// A currency Stripe charges in: what an event may be priced in.
    pub fn parse_chargeable(code: &str) -> Result<Self, MoneyError> {
        let currency = Currency::parse(code)?;
        let lower = currency.code().to_ascii_lowercase();
        STRIPE_CURRENCIES
            .binary_search(&lower.as_str())
            .map(|_| currency)
            .map_err(|_| MoneyError::Unsupported)
    }

    pub fn code(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Minor units per major unit as a power of ten, as Stripe counts them: amounts are
    /// stored and sent to Stripe in these units. Stripe's zero-decimal currencies are 0,
    /// its three-decimal ones 3, everything else 2, including ISK and HUF, which Stripe
    /// charges with two decimals.
    pub fn exponent(&self) -> u32 {
        match self.code() {
            "BIF" | "CLP" | "DJF" | "GNF" | "JPY" | "KMF" | "KRW" | "MGA" | "PYG" | "RWF"
            | "UGX" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "JOD" | "KWD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }

    /// Decimals a price may have and is shown with. Fewer than the exponent where Stripe
    /// wants the last digits zero: whole krónur for ISK, and the last of three decimals.
    pub fn decimals(&self) -> u32 {
        match self.code() {
            "ISK" => 0,
            _ => self.exponent().min(2),
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

    /// Parses a decimal amount in major units ("12", "12.5", "12.50") without floats, with
    /// at most the currency's `decimals`.
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
        if fraction.len() > currency.decimals() as usize {
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

    /// The amount without symbol, e.g. "12.50", with the currency's `decimals` (all of
    /// the exponent's when the amount needs them); what `parse_major` reads back.
    pub fn format_plain(&self) -> String {
        let exponent = self.currency.exponent();
        let sign = if self.minor < 0 { "-" } else { "" };
        let mut abs = self.minor.unsigned_abs();
        let hidden = 10_u64.pow(exponent - self.currency.decimals());
        let shown = if abs.is_multiple_of(hidden) {
            abs /= hidden;
            self.currency.decimals()
        } else {
            exponent
        };
        if shown == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10_u64.pow(shown);
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = shown as usize
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

    #[test]
    fn amounts_are_in_stripes_minor_units() {
        let isk = Currency::parse("ISK").unwrap();
        let huf = Currency::parse("HUF").unwrap();
        let kwd = Currency::parse("KWD").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        // Stripe charges ISK and HUF with two decimals: 500 ISK is 50000.
        assert_eq!(Money::parse_major("500", isk).unwrap().minor(), 50_000);
        assert_eq!(
            Money::parse_major("500.50", isk),
            Err(MoneyError::InvalidAmount)
        );
        assert_eq!(Money::new(50_000, isk).to_string(), "500 ISK");
        assert_eq!(Money::parse_major("1990.50", huf).unwrap().minor(), 199_050);
        // Three-decimal currencies end in 0 at Stripe.
        assert_eq!(Money::parse_major("1.25", kwd).unwrap().minor(), 1250);
        assert_eq!(
            Money::parse_major("1.255", kwd),
            Err(MoneyError::InvalidAmount)
        );
        assert_eq!(Money::new(1250, kwd).to_string(), "1.25 KWD");
        assert_eq!(Money::parse_major("500", jpy).unwrap().minor(), 500);
    }

    #[test]
    fn only_currencies_stripe_charges_in_are_chargeable() {
        assert!(STRIPE_CURRENCIES.windows(2).all(|w| w[0] < w[1]), "sorted");
        for code in ["EUR", "usd", "ISK", "HUF", "JPY", "KWD", "XCG"] {
            assert!(Currency::parse_chargeable(code).is_ok(), "{code}");
        }
        for code in ["XXX", "ABC", "HRK", "VEF"] {
            assert_eq!(
                Currency::parse_chargeable(code),
                Err(MoneyError::Unsupported),
                "{code}"
            );
        }
        assert_eq!(
            Currency::parse_chargeable("EURO"),
            Err(MoneyError::InvalidCurrency)
        );
    }

    proptest! {
        /// Every amount a price can be entered as formats and parses back to itself.
        #[test]
        fn plain_format_parses_back(
            units in 0_i64..=i64::MAX / 100_000,
            code in "(EUR|USD|JPY|KWD|ISK|HUF)",
        ) {
            let currency = Currency::parse(&code).unwrap();
            let step = 10_i64.pow(currency.exponent() - currency.decimals());
            let money = Money::new(units * step, currency);
            prop_assert_eq!(Money::parse_major(&money.format_plain(), currency).unwrap(), money);
        }
    }
}
