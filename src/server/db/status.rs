//! The status enums as stored: snake_case strings, parsed once here. A value no enum
//! knows is a read error naming it, never a silent fallback.
use crate::domain::{EventStatus, OrderStatus, PaymentEventStatus, TicketStatus};
use surrealdb::types::{Error, Kind, SurrealValue, Value};

macro_rules! stored_as_text {
    ($($ty:ty),+) => {$(
        impl SurrealValue for $ty {
            fn kind_of() -> Kind {
                Kind::String
            }

            fn into_value(self) -> Value {
                Value::String(self.as_str().to_owned())
            }

            fn from_value(value: Value) -> Result<Self, Error> {
                let text = String::from_value(value)?;
                <$ty>::parse(&text).ok_or_else(|| {
                    Error::internal(format!("unknown {} {text:?}", stringify!($ty)))
                })
            }
        }
    )+};
}

stored_as_text!(OrderStatus, TicketStatus, EventStatus, PaymentEventStatus);
