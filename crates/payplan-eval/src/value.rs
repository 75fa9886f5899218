//! Checked arithmetic on runtime values. The checker proved the types; what can still go
//! wrong is overflow and division by zero, each an error naming the expression.

use crate::error::{EvalError, Result};
use payplan_ir::{BinaryOp, Value};
use rust_decimal::Decimal;

/// `a + b` on decimals, overflow an error.
pub fn add(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(overflow)
}

/// `a - b` on decimals.
pub fn sub(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_sub(b).ok_or_else(overflow)
}

/// `a * b` on decimals.
pub fn mul(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_mul(b).ok_or_else(overflow)
}

/// `a / b` on decimals; dividing by zero is an error.
pub fn div(a: Decimal, b: Decimal) -> Result<Decimal> {
    if b.is_zero() {
        return Err(EvalError::new("division by zero").help("the divisor is zero here: check the quota, metric or field it reads"));
    }
    a.checked_div(b).ok_or_else(overflow)
}

/// The error of an overflowing operation.
pub(crate) fn overflow() -> EvalError {
    EvalError::new("arithmetic overflow").help("an amount exceeds the 28 significant digits payplan computes with")
}

/// Applies an arithmetic or comparison operator to two values of checked types.
pub fn binary(op: BinaryOp, a: &Value, b: &Value) -> Result<Value> {
    use Value::*;
    let type_error = || EvalError::new("internal error: operand types the checker should have rejected");
    Ok(match op {
        BinaryOp::Add => match (a, b) {
            (Number(x), Number(y)) => Number(add(*x, *y)?),
            (Money(x), Money(y)) => Money(add(*x, *y)?),
            (Date(d), Duration(n)) | (Duration(n), Date(d)) => Date(shift(*d, *n)?),
            (Duration(x), Duration(y)) => Duration(x.checked_add(*y).ok_or_else(overflow)?),
            _ => return Err(type_error()),
        },
        BinaryOp::Sub => match (a, b) {
            (Number(x), Number(y)) => Number(sub(*x, *y)?),
            (Money(x), Money(y)) => Money(sub(*x, *y)?),
            (Date(x), Date(y)) => Duration(x.signed_duration_since(*y).num_days()),
            (Date(d), Duration(n)) => Date(shift(*d, n.checked_neg().ok_or_else(overflow)?)?),
            (Duration(x), Duration(y)) => Duration(x.checked_sub(*y).ok_or_else(overflow)?),
            _ => return Err(type_error()),
        },
        BinaryOp::Mul => match (a, b) {
            (Number(x), Number(y)) => Number(mul(*x, *y)?),
            (Money(x), Number(y)) | (Number(y), Money(x)) => Money(mul(*x, *y)?),
            _ => return Err(type_error()),
        },
        BinaryOp::Div => match (a, b) {
            (Number(x), Number(y)) => Number(div(*x, *y)?),
            (Money(x), Number(y)) => Money(div(*x, *y)?),
            (Money(x), Money(y)) => Number(div(*x, *y)?),
            (Duration(x), Duration(y)) => Number(div(Decimal::from(*x), Decimal::from(*y))?),
            _ => return Err(type_error()),
        },
        BinaryOp::Eq => Bool(a == b),
        BinaryOp::Ne => Bool(a != b),
        BinaryOp::Lt => Bool(a < b),
        BinaryOp::Le => Bool(a <= b),
        BinaryOp::Gt => Bool(a > b),
        BinaryOp::Ge => Bool(a >= b),
    })
}

fn shift(date: chrono::NaiveDate, days: i64) -> Result<chrono::NaiveDate> {
    chrono::Duration::try_days(days).and_then(|d| date.checked_add_signed(d)).ok_or_else(|| EvalError::new("date out of range"))
}
