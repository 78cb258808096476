//! The cancellation and seat-reduction window (API-billing.md §4.3): every
//! seat-adding event makes a batch refundable for 168 hours (in full for 24);
//! seats leave the newest batch first.

use partnerd_domain::time::Timestamp;
use partnerd_store::commerce::SeatBatch;
use serde::Serialize;
use utoipa::ToSchema;

/// How long added seats can be removed with a refund.
pub const WINDOW_MS: i64 = 168 * Timestamp::HOUR;
/// How long they are refunded in full.
pub const FULL_REFUND_MS: i64 = 24 * Timestamp::HOUR;

/// Seats still removable with a refund, and until when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundableQuantity {
    pub total_quantity: i64,
    /// `allowedUntil` ascending.
    pub details: Vec<RefundableSeats>,
}

/// One batch's refundable seats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundableSeats {
    pub quantity: i64,
    pub allowed_until: Timestamp,
    pub full_refund_until: Timestamp,
}

/// Whether a batch may still be removed with a refund at `now`.
pub fn is_refundable(b: &SeatBatch, now: Timestamp) -> bool {
    now < b.added_at.plus_millis(WINDOW_MS)
}

/// The refundable seats at `now`.
pub fn refundable(batches: &[SeatBatch], now: Timestamp) -> RefundableQuantity {
    let mut details: Vec<RefundableSeats> = batches
        .iter()
        .filter(|b| is_refundable(b, now))
        .map(|b| RefundableSeats {
            quantity: b.quantity,
            allowed_until: b.added_at.plus_millis(WINDOW_MS),
            full_refund_until: b.added_at.plus_millis(FULL_REFUND_MS),
        })
        .collect();
    details.sort_by_key(|d| d.allowed_until);
    RefundableQuantity {
        total_quantity: details.iter().map(|d| d.quantity).sum(),
        details,
    }
}

/// Seats removed from one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    pub added_at: Timestamp,
    pub quantity: i64,
    /// Still inside its 24 hours at the removal.
    pub full_refund: bool,
}

/// Takes `quantity` seats from the refundable batches, newest first; returns the
/// batches left (expired ones dropped) and what was taken from each. The caller
/// has checked that enough seats are refundable.
pub fn take_newest(
    batches: &[SeatBatch],
    mut quantity: i64,
    now: Timestamp,
) -> (Vec<SeatBatch>, Vec<Removed>) {
    let mut left: Vec<SeatBatch> = batches
        .iter()
        .copied()
        .filter(|b| is_refundable(b, now))
        .collect();
    let mut removed = Vec::new();
    for b in left.iter_mut().rev() {
        if quantity == 0 {
            break;
        }
        let q = quantity.min(b.quantity);
        b.quantity -= q;
        quantity -= q;
        removed.push(Removed {
            added_at: b.added_at,
            quantity: q,
            full_refund: now < b.added_at.plus_millis(FULL_REFUND_MS),
        });
    }
    left.retain(|b| b.quantity > 0);
    (left, removed)
}

/// The batches after `quantity` seats were added at `now`.
pub fn add(batches: &[SeatBatch], quantity: i64, now: Timestamp) -> Vec<SeatBatch> {
    let mut out: Vec<SeatBatch> = batches
        .iter()
        .copied()
        .filter(|b| is_refundable(b, now))
        .collect();
    let position = batches.iter().map(|b| b.position).max().unwrap_or(0) + 1;
    out.push(SeatBatch {
        position,
        added_at: now,
        quantity,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(position: i64, added_at: Timestamp, quantity: i64) -> SeatBatch {
        SeatBatch {
            position,
            added_at,
            quantity,
        }
    }

    #[test]
    fn the_window_closes_at_168_hours() {
        let t0 = Timestamp(1_000_000_000_000);
        let b = [batch(1, t0, 10)];
        let just_before = t0.plus_millis(WINDOW_MS - Timestamp::MINUTE);
        assert_eq!(refundable(&b, just_before).total_quantity, 10);
        assert_eq!(refundable(&b, t0.plus_millis(WINDOW_MS)).total_quantity, 0);
    }

    #[test]
    fn seats_leave_the_newest_batch_first() {
        let t0 = Timestamp(1_000_000_000_000);
        let t1 = t0.plus_millis(30 * Timestamp::HOUR);
        let b = [batch(1, t0, 10), batch(2, t1, 5)];
        let now = t1.plus_millis(Timestamp::HOUR);
        let (left, removed) = take_newest(&b, 7, now);
        assert_eq!(left, vec![batch(1, t0, 8)]);
        assert_eq!(
            removed,
            vec![
                Removed {
                    added_at: t1,
                    quantity: 5,
                    full_refund: true
                },
                Removed {
                    added_at: t0,
                    quantity: 2,
                    full_refund: false
                },
            ]
        );
        let more = add(&left, 3, now);
        assert_eq!(more.last().map(|b| (b.position, b.quantity)), Some((2, 3)));
    }
}
