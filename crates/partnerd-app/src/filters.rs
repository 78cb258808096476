//! A client's status filters and choices, read into the domain's enums.

use partnerd_domain::FieldError;
use partnerd_domain::states::Status;

/// `a, b or c`: the values a field accepts, for its error message.
fn or_list<S: Status>(allowed: &[S]) -> String {
    let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_owned(),
        None => String::new(),
    }
}

/// A status the client named at `pointer` (`/query/status`, `/status`): absent is
/// None; a value outside `allowed` is a field error that lists the accepted ones.
pub fn status_in<S: Status>(
    pointer: &str,
    raw: Option<&str>,
    allowed: &[S],
) -> Result<Option<S>, FieldError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    match S::parse(raw) {
        Ok(s) if allowed.contains(&s) => Ok(Some(s)),
        _ => Err(FieldError::invalid(
            pointer,
            format!("must be {}", or_list(allowed)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use partnerd_domain::states::OrderStatus;

    #[test]
    fn a_filter_names_what_it_accepts() {
        assert_eq!(
            status_in("/query/status", Some("completed"), OrderStatus::ALL),
            Ok(Some(OrderStatus::Completed))
        );
        assert_eq!(
            status_in::<OrderStatus>("/query/status", None, OrderStatus::ALL),
            Ok(None)
        );
        let refused = status_in("/query/status", Some("lost"), OrderStatus::ALL);
        assert_eq!(
            refused.map_err(|e| e.message),
            Err("must be pending, completed or cancelled".to_owned())
        );
        let narrowed = status_in("/status", Some("pending"), &[OrderStatus::Completed]);
        assert!(narrowed.is_err());
    }
}
