//! Seats move between a ticket type's counters (`available`, `held`, `sold`) and, in step,
//! those of every shared capacity (`quota`) the type is part of. Each move is guarded so
//! no counter goes below zero: the ledger that runs short throws, and the transaction with
//! it. `tickex check` recomputes both kinds of ledger from the rows.

/// Moves `$quantity` seats of ticket type `$seat_type` from the counter `$seats_from` to
/// `$seats_to` (each `'available'`, `'held'` or `'sold'`) on the type and on each of its
/// shared capacities. Throws `$short` followed by `<table>:<id>` of the first one short.
pub const MOVE_SEATS: &str = "
    LET $delta = {
        available: (IF $seats_to = 'available' { $quantity } ELSE { 0 })
            - (IF $seats_from = 'available' { $quantity } ELSE { 0 }),
        held: (IF $seats_to = 'held' { $quantity } ELSE { 0 })
            - (IF $seats_from = 'held' { $quantity } ELSE { 0 }),
        sold: (IF $seats_to = 'sold' { $quantity } ELSE { 0 })
            - (IF $seats_from = 'sold' { $quantity } ELSE { 0 })
    };
    FOR $ledger IN array::concat([$seat_type],
        (SELECT VALUE id FROM quota WHERE event = $seat_type.event AND ticket_types CONTAINS $seat_type)) {
        LET $moved = (UPDATE $ledger SET available += $delta.available, held += $delta.held,
                sold += $delta.sold
            WHERE available + $delta.available >= 0 AND held + $delta.held >= 0
                AND sold + $delta.sold >= 0
            RETURN VALUE id);
        IF array::len($moved) = 0 {
            THROW string::concat($short, record::tb($ledger), ':', record::id($ledger))
        };
    };";
