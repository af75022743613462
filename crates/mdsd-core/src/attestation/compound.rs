//! The `compound` attestation statement format (WebAuthn L3 §8.9): several statements of other
//! formats over the same authenticatorData and clientDataHash.
//!
//! Decisions (documented in the result): at least two sub-statements (`[2* nonCompoundAttStmt]`),
//! none of them `compound`, every one must verify. The outcome reported for trust is the first
//! sub-statement with a certificate trust path (Basic/AttCA/AnonCA) whose signature covers all
//! of authenticatorData, else the first with a trust path, else the first one.

use ciborium::Value;

use super::common::field;
use super::cose::kind;
use super::reason::{Reason, ReasonCode};
use super::{AttestationType, Coverage, Format, StatementInput, StatementResult};

/// Most sub-statements accepted (bounds the signature work one attestation can cause).
pub const MAX_SUB_STATEMENTS: usize = 4;

/// Verifies a `compound` statement.
pub(crate) fn verify(input: &StatementInput<'_>) -> StatementResult {
    // Step 1: attStmt is an array of at least two {fmt, attStmt} maps.
    let items = match input.att_stmt {
        Value::Array(items) => items,
        other => {
            return Err(Reason::new(
                ReasonCode::MalformedStatement,
                format!("compound: attStmt is {} instead of an array", kind(other)),
            ))
        }
    };
    if items.len() < 2 {
        return Err(Reason::new(
            ReasonCode::MalformedStatement,
            format!("compound: needs at least 2 statements, has {}", items.len()),
        ));
    }
    if items.len() > MAX_SUB_STATEMENTS {
        return Err(Reason::new(
            ReasonCode::LimitExceeded,
            format!("compound: {} statements, more than {MAX_SUB_STATEMENTS}", items.len()),
        ));
    }
    let mut outcomes = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let map = match item {
            Value::Map(map) => map,
            other => {
                return Err(Reason::new(
                    ReasonCode::MalformedStatement,
                    format!("compound: statement {i} is {} instead of a map", kind(other)),
                ))
            }
        };
        let fmt = match field(map, "fmt") {
            Some(Value::Text(t)) => t.as_str(),
            _ => {
                return Err(Reason::new(
                    ReasonCode::MalformedStatement,
                    format!("compound: statement {i} lacks a text fmt"),
                ))
            }
        };
        let att_stmt = field(map, "attStmt").ok_or_else(|| {
            Reason::new(
                ReasonCode::MalformedStatement,
                format!("compound: statement {i} ({fmt}) lacks attStmt"),
            )
        })?;
        let format = match Format::from_name(fmt) {
            Some(Format::Compound) => {
                return Err(Reason::new(
                    ReasonCode::MalformedStatement,
                    format!("compound: statement {i} is itself compound (nesting is not allowed)"),
                ))
            }
            Some(f) => f,
            None => {
                return Err(Reason::new(
                    ReasonCode::UnsupportedFormat,
                    format!("compound: statement {i} has unknown fmt {fmt:?}"),
                ))
            }
        };
        // Step 2: each statement verifies by its own format's procedure.
        let sub = StatementInput { att_stmt, ..*input };
        let outcome = super::verify_statement(format, &sub).map_err(|r| {
            Reason::new(r.code, format!("compound: statement {i} ({fmt}): {}", r.message))
        })?;
        outcomes.push(outcome);
    }
    // Prefer a statement that signs all of authenticatorData with a certified key over one that
    // covers less (fido-u2f): trust is judged on what the chosen statement covers.
    let has_chain = |o: &&super::StatementOutcome| {
        matches!(
            o.attestation_type,
            AttestationType::Basic | AttestationType::AttCa | AttestationType::AnonCa
        )
    };
    let pick = outcomes
        .iter()
        .position(|o| has_chain(&o) && o.coverage == Coverage::AuthenticatorData)
        .or_else(|| outcomes.iter().position(|o| has_chain(&o)))
        .unwrap_or(0);
    outcomes.into_iter().nth(pick).ok_or_else(|| {
        Reason::new(ReasonCode::MalformedStatement, "compound: no statement outcome")
    })
}
